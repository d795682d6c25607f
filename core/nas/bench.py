"""Speed-up of several ``nas-worker`` processes sharing one study over a single worker.

``python -m core.nas.bench --storage postgresql://... --trials 8`` draws ``trials`` architectures
of the small preset's space (seeded), enqueues the same list into one fresh study per run, and
times ``python -m core nas-worker`` runs from launch until every worker has exited: one worker
with all CPU threads, one worker on one thread, and ``--workers`` workers on one thread each
sharing the trials (the clock is ``core.bench.timing.timed``, the benchmarks' one). Prints
one JSON object; the speed-up is the single worker's wall time (all threads) over the shared
run's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.bench.timing import timed
from core.nas.study import SearchSpec, make_storage, open_study

ROOT = Path(__file__).resolve().parents[2]


def draw_architectures(spec: SearchSpec, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` parameter sets drawn uniformly from the spec's space."""
    rng = np.random.default_rng(seed)
    choices = spec.space().choices()
    return [{name: values[int(rng.integers(len(values)))] for name, values in choices.items()}
            for _ in range(count)]


def timed_run(url: str, study: str, workers: int, trials: list[dict[str, Any]],
              threads: int | None, spec: SearchSpec) -> dict[str, Any]:
    """Enqueue ``trials`` into a new study and time ``workers`` worker processes on it."""
    optuna_study, _ = open_study(make_storage(url), study, spec)
    for params in trials:
        optuna_study.enqueue_trial(params)
    share = [len(trials) // workers + (i < len(trials) % workers) for i in range(workers)]
    args = ["--threads", str(threads)] if threads else []

    def run_workers() -> tuple[list[subprocess.Popen], list[str]]:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "core", "nas-worker", "--study", study, "--storage", url,
                 "--trials", str(n), "--seed", str(i), "--no-store", *args],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )
            for i, n in enumerate(share)
        ]
        return procs, [p.communicate()[1] for p in procs]

    (procs, errors), wall = timed(run_workers)  # from launch until every worker has exited
    failed = [e for p, e in zip(procs, errors, strict=True) if p.returncode != 0]
    if failed:
        raise RuntimeError(f"a worker failed: {failed[0].strip().splitlines()[-1]}")
    done = [t for t in optuna_study.get_trials() if t.state.name == "COMPLETE"]
    train = sum(t.user_attrs["seconds"] for t in done)
    return {"workers": workers, "threads": threads or "all", "trials": len(done),
            "wall_seconds": round(wall, 2), "training_seconds": round(train, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.nas.bench", description=__doc__)
    parser.add_argument("--storage", required=True, help="Optuna storage URL (PostgreSQL)")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    spec = SearchSpec("random")
    trials = draw_architectures(spec, args.trials, args.seed)
    tag = f"bench-{os.getpid()}-{int(time.time())}"
    load = os.getloadavg()[0]
    runs = [
        timed_run(args.storage, f"{tag}-1all", 1, trials, None, spec),
        timed_run(args.storage, f"{tag}-1one", 1, trials, 1, spec),
        timed_run(args.storage, f"{tag}-{args.workers}one", args.workers, trials, 1, spec),
    ]
    result = {
        "cpus": os.cpu_count(),
        "load_before": load,
        "runs": runs,
        "speedup_vs_one_worker_all_threads": round(runs[0]["wall_seconds"]
                                                   / runs[2]["wall_seconds"], 2),
        "speedup_vs_one_worker_one_thread": round(runs[1]["wall_seconds"]
                                                  / runs[2]["wall_seconds"], 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
