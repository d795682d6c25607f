"""kill -9 in the middle of a search, then the same command again (issue 13, items 8 and 9).

Real processes: ``python -m core sweep`` and ``python -m core nas`` on a SQLite storage are
killed with SIGKILL while a trial is RUNNING (the storage is polled until one is, after at
least one trial finished), then rerun to the end. Afterwards no trial may stay RUNNING (a
ghost), every grid point is trained exactly once, and NAS never trains an architecture that
the study already completed (a repeat reuses its twin's value, marked ``reused_from``).
tests/test_sweep.py and tests/test_nas_study.py cover the same logic in one process, with
the dead worker simulated; here the kill is real.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.nas_support import tiny_cli

ROOT = Path(__file__).resolve().parents[1]
GRID = ["hidden=4,6,8", "steps=10", "scale=100", "reg=0"]
# Small, but long enough per trial (about a second) to be caught RUNNING.
SWEEP = ["sweep", "--dataset", "digits", "--grid", *GRID, "--epochs", "2", "--max-train",
         "300", "--max-test", "50", "--batch-size", "16", "--no-save", "--study", "k", "--json"]
NAS = ["nas", "--algorithm", "random", "--dataset", "digits", "--trials", "4", "--study", "s",
       "--no-store", "--json"]
NAS_CODE = tiny_cli(epochs=2, max_train_samples=800)  # the tiny preset, a bit longer a trial

optuna.logging.set_verbosity(optuna.logging.WARNING)


def environment(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "SPIKELAB_DB": str(tmp_path / "runs.db"),
           "SPIKELAB_DATA": str(tmp_path / "data"), "OMP_NUM_THREADS": "1"}
    env.pop("SPIKELAB_DEBUG", None)
    return env


# Trials with their state and whether they name their worker process (host:pid), which a
# search does first thing in a trial; a rerun fails the RUNNING trials of dead workers.
TRIALS_SQL = """SELECT t.number, t.state, EXISTS(SELECT 1 FROM trial_user_attributes a
                WHERE a.trial_id = t.trial_id AND a.key = 'worker') FROM trials t"""


def running_after_a_finished_trial(db: Path) -> bool:
    """True when the storage holds a COMPLETE trial and, numbered after it, a RUNNING one
    that names its worker (it is training)."""
    if not db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as con:
            rows = con.execute(TRIALS_SQL).fetchall()
    except sqlite3.Error:  # not created yet, or locked by the writer
        return False
    done = [n for n, state, _ in rows if state == "COMPLETE"]
    return bool(done) and any(state == "RUNNING" and named and n > min(done)
                              for n, state, named in rows)


def kill_during_a_trial(argv: list[str], db: Path, env: dict[str, str]) -> None:
    """Start ``argv``, SIGKILL it while a trial (not the first) is RUNNING."""
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 150
        while not running_after_a_finished_trial(db):
            assert proc.poll() is None, "the search ended before it could be killed in a trial"
            assert time.monotonic() < deadline, "no trial was seen RUNNING"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def rerun(argv: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def trials(db: Path, study: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=study, storage=f"sqlite:///{db}").trials


@pytest.mark.timeout(400)
def test_a_sweep_killed_in_a_point_completes_every_point_once_with_no_ghost(tmp_path):
    db = tmp_path / "sweep.db"
    argv = [sys.executable, "-m", "core", *SWEEP, "--storage", f"sqlite:///{db}"]
    env = environment(tmp_path)
    kill_during_a_trial(argv, db, env)
    assert TrialState.RUNNING in [t.state for t in trials(db, "k")]  # the kill left a ghost
    summary = rerun(argv, env)
    assert summary["total"] == 3 and summary["done"] == 3
    after = trials(db, "k")
    assert TrialState.RUNNING not in [t.state for t in after]
    complete = Counter(t.params["hidden"] for t in after if t.state == TrialState.COMPLETE)
    assert complete == {4: 1, 6: 1, 8: 1}


@pytest.mark.timeout(400)
def test_nas_killed_in_a_trial_resumes_with_no_ghost_and_no_architecture_trained_twice(
        tmp_path):
    db = tmp_path / "nas.db"
    argv = [sys.executable, "-c", NAS_CODE, *NAS, "--storage", f"sqlite:///{db}"]
    env = environment(tmp_path)
    kill_during_a_trial(argv, db, env)
    assert TrialState.RUNNING in [t.state for t in trials(db, "s")]
    result = rerun(argv, env)
    after = trials(db, "s")
    assert TrialState.RUNNING not in [t.state for t in after]
    complete = [t for t in after if t.state == TrialState.COMPLETE]
    assert len(complete) >= 5  # the first run's finished trial(s) and the rerun's four
    trained = [tuple(sorted(t.params.items())) for t in complete
               if "reused_from" not in t.user_attrs]
    assert len(trained) == len(set(trained)), "an architecture was trained twice"
    for t in complete:
        if "reused_from" in t.user_attrs:
            twin = after[t.user_attrs["reused_from"]]
            assert twin.params == t.params and twin.value == t.value
    assert {r["number"] for r in result["trials"]} >= {t.number for t in complete}
