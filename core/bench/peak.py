"""Peak memory of one training step of one implementation, measured in a fresh process.

Linux resets a process's high-water mark (VmHWM) when "5" is written to
``/proc/self/clear_refs``; the child builds the batch and the implementation, resets the mark,
runs one step (its first: graph, gradients and Adam's state all allocated) and prints the rise
of the peak over the resident size just before the step, in MiB.

Run as ``python -m core.bench.peak NAME CONFIG_JSON``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from core.bench.workload import PeerConfig

ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the ``core`` package


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        return int(next(line.split()[1] for line in status if line.startswith(key)))


def measure_here(name: str, cfg: PeerConfig) -> float:
    """The rise of this process's peak resident memory over one step of ``name`` (MiB)."""
    from core.bench.peers import load
    from core.bench.workload import make_problem

    step = load(name)(make_problem(cfg))
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = _status_kb("VmRSS:")
    step()
    return (_status_kb("VmHWM:") - before) / 1024


def peak_memory_mb(name: str, cfg: PeerConfig, timeout: float = 600) -> float | None:
    """Peak memory of one step of ``name`` in a fresh Python process; None where Linux's
    counters cannot be read (not Linux) or the child fails (its error goes to stderr)."""
    if not Path("/proc/self/clear_refs").exists():
        return None
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    out = subprocess.run(
        [sys.executable, "-m", "core.bench.peak", name, json.dumps(asdict(cfg))],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"peak memory of {name}: the child failed: {tail}", file=sys.stderr)
        return None
    return float(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(measure_here(sys.argv[1], PeerConfig(**json.loads(sys.argv[2]))))
