"""Time the long actions the gallery's cards and the pages name (``core.demos.TAKES``) again.

    .venv/bin/python tools/time_claims.py                 # every one (about 10 minutes)
    .venv/bin/python tools/time_claims.py relpsp-digits-5 train-digits

Each command runs in a fresh process (its imports and the compiled loops' cache load count, as
they do when a page starts a job), with the run store pointed at a temporary file. Prints one
line per action (stated, measured, the ratio) and a JSON object last; run it on an idle
machine and copy the measured seconds into ``TAKES``.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.demos import TAKES, words  # noqa: E402


def cpu_seconds() -> float:
    """CPU seconds (user and system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: str, tmp: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``command`` (``python -m core ...``) run by this interpreter,
    its run store and ``{tmp}`` in the folder ``tmp``. On a busy machine the CPU seconds are
    the better guess of an idle machine's wall time (the work is mostly one thread)."""
    argv = shlex.split(command.format(tmp=tmp))
    db = str(Path(tmp) / "runs.db")
    if argv[0] == "python":
        argv[0] = sys.executable
    env = {**os.environ, "SPIKELAB_DB": db}
    start, cpu = time.perf_counter(), cpu_seconds()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command} failed: {done.stderr.strip().splitlines()[-1:]}")
    return seconds, cpu_seconds() - cpu


def main(keys: list[str]) -> int:
    unknown = [k for k in keys if k not in TAKES]
    if unknown:
        print(f"No such action: {', '.join(unknown)}; pick from {', '.join(TAKES)}.",
              file=sys.stderr)
        return 2
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key in keys or list(TAKES):
            take = TAKES[key]
            seconds, cpu = measure(take.command, tmp)
            out[key] = {"stated_s": take.seconds, "measured_s": round(seconds, 1),
                        "cpu_s": round(cpu, 1)}
            print(f"{key}: stated {words(take.seconds)}, measured {seconds:.1f} s wall, "
                  f"{cpu:.1f} s CPU ({seconds / take.seconds:.2f} of the stated)",
                  file=sys.stderr, flush=True)
    print(json.dumps({"load_average": os.getloadavg(), "cores": os.cpu_count(), "takes": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
