"""Grid search: grid parsing, summaries, resume after a kill or a stop, the sweep command."""

from __future__ import annotations

import io
import json
import threading
from contextlib import redirect_stdout

import optuna
import pytest
from optuna.trial import TrialState

from core.cli import main
from core.search.grid import DEFAULT_GRID, load_summary, open_study, parse_grid, run_sweep
from core.store import RunStore
from core.training import default_config

optuna.logging.set_verbosity(optuna.logging.WARNING)
GRID = {"hidden": (4, 6, 8), "steps": (10,), "scale": (100.0,), "reg": (0.0,)}


def base():
    return default_config("digits", epochs=1, max_train=48, max_test=24, batch_size=16)


def test_parse_grid_fills_defaults_and_refuses_bad_entries():
    grid = parse_grid(["hidden=10,20", "reg=1e-6"])
    assert grid["hidden"] == (10, 20) and grid["reg"] == (1e-6,)
    assert grid["steps"] == DEFAULT_GRID["steps"]
    assert sum(1 for _ in DEFAULT_GRID) == 4
    for bad in ("hidden", "size=1,2", "hidden=a,b", "hidden=1.5", "steps=", "scale=2,2"):
        with pytest.raises(ValueError):
            parse_grid([bad])


def test_sweep_trains_every_point_and_summarises(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    store = RunStore(tmp_path / "runs.db")
    summary = run_sweep(base(), GRID, "t", storage, store)
    assert summary.total == 3 and summary.done == 3
    assert sorted(p.params["hidden"] for p in summary.points) == [4, 6, 8]
    hidden = [v for v in summary.per_value if v.param == "hidden"]
    assert [v.value for v in hidden] == [4, 6, 8] and all(v.count == 1 for v in hidden)
    steps = [v for v in summary.per_value if v.param == "steps"]
    assert steps[0].count == 3
    assert steps[0].mean_test_accuracy == pytest.approx(
        sum(p.test_accuracy for p in summary.points) / 3)
    assert steps[0].mean_spikes_per_sample == pytest.approx(
        sum(p.spikes_per_sample for p in summary.points) / 3)
    assert steps[0].mean_spikes_per_sample > 0
    assert summary.best.test_accuracy == max(p.test_accuracy for p in summary.points)
    assert len(store.list_runs(kind="surrogate")) == 3
    assert load_summary("t", storage).done == 3
    again = run_sweep(base(), GRID, "t", storage, store)  # nothing left: nothing retrained
    assert again.done == 3 and len(store.list_runs()) == 3


def test_killed_sweep_resumes_without_redoing_finished_points(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    store = RunStore(tmp_path / "runs.db")
    first = run_sweep(base(), GRID, "k", storage, store, max_trials=1)
    assert first.done == 1
    finished = first.points[0]
    st = open_study("k", storage, GRID)  # a worker that died in the middle of a point
    dead = st.ask()
    for name, values in GRID.items():
        dead.suggest_categorical(name, list(values))
    resumed = run_sweep(base(), GRID, "k", storage, store)
    assert resumed.done == 3
    same = [p for p in resumed.points if p.params == finished.params]
    assert same[0].run_id == finished.run_id
    assert len(store.list_runs(kind="surrogate")) == 3  # each point trained exactly once
    states = [t.state for t in optuna.load_study(study_name="k", storage=storage).trials]
    assert states.count(TrialState.COMPLETE) == 3 and states.count(TrialState.RUNNING) == 1


def test_stopped_point_is_queued_again(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    store = RunStore(tmp_path / "runs.db")
    stop = threading.Event()
    messages = []

    def progress(message, p):
        if p is None:  # a point starts
            messages.append(message)
        elif len(messages) == 2:  # inside the second point, which names itself
            assert message == messages[-1] and message.startswith("point 2: hidden 6")
            stop.set()

    stopped = run_sweep(base(), GRID, "s", storage, store, progress=progress, stop=stop)
    assert stopped.done == 1 and stopped.failed == 1
    done = run_sweep(base(), GRID, "s", storage, store)
    assert done.done == 3 and len(store.list_runs()) == 3


def test_a_point_finished_elsewhere_is_reused(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    store = RunStore(tmp_path / "runs.db")
    grid = {**GRID, "hidden": (4,)}
    run_sweep(base(), grid, "r", storage, store)
    st = open_study("r", storage, grid)
    twin = st.ask()  # as if the grid sampler handed out a finished point again
    for name, values in grid.items():
        twin.suggest_categorical(name, list(values))
    st.tell(twin, state=TrialState.FAIL)
    st.enqueue_trial({k: v[0] for k, v in grid.items()})
    run_sweep(base(), grid, "r", storage, store)
    trials = optuna.load_study(study_name="r", storage=storage).trials
    reused = [t for t in trials if "reused_from" in t.user_attrs]
    assert len(reused) == 1 and len(store.list_runs()) == 1


def test_a_study_keeps_its_grid(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    open_study("g", storage, GRID)
    with pytest.raises(ValueError, match="was created with the grid"):
        open_study("g", storage, {**GRID, "hidden": (4,)})


def test_sweep_command_prints_the_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["sweep", "--dataset", "digits", "--grid", "hidden=4,6", "steps=10",
                     "scale=100", "reg=0", "--epochs", "1", "--max-train", "32",
                     "--max-test", "16", "--storage", f"sqlite:///{tmp_path / 's.db'}",
                     "--study", "cli", "--json"])
    assert code == 0
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["total"] == 2 and result["done"] == 2
    assert {"param", "value", "mean_test_accuracy", "mean_seconds"} <= set(result["per_value"][0])
    assert result["best"]["run_id"] is not None


def test_bad_grid_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    code = main(["sweep", "--grid", "width=3", "--storage", f"sqlite:///{tmp_path / 's.db'}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error:") and "\n" not in err


def test_a_killed_sweeps_running_trial_is_failed_on_rerun_not_left_a_ghost(tmp_path):
    """kill -9 during a point leaves its trial RUNNING; the next sweep marks it FAIL (its
    process is gone) and trains the point again, while a live worker's trial is kept."""
    import os
    import subprocess

    from core.store.studies import WORKER_ATTR, this_worker

    storage = f"sqlite:///{tmp_path / 's.db'}"
    st = open_study("k", storage, GRID)
    host = this_worker().rpartition(":")[0]
    dead = subprocess.Popen(["true"])
    dead.wait()
    ghost = st.ask()
    ghost.set_user_attr(WORKER_ATTR, f"{host}:{dead.pid}")
    live = st.ask()
    live.set_user_attr(WORKER_ATTR, f"{host}:{os.getpid()}")
    run_sweep(base(), GRID, "k", storage, max_trials=0)
    states = {t.number: t.state for t in open_study("k", storage, GRID).trials}
    assert states[ghost.number] == TrialState.FAIL
    assert states[live.number] == TrialState.RUNNING
