"""The run store: runs persist across store objects, weights reload safely, bad files fail."""

from __future__ import annotations

import io
import math
import os
import pickle
import sqlite3
import threading

import pytest
import torch

from core.store import DB_ENV, RunStore, default_db_path


def test_runs_persist_and_reload(tmp_path):
    path = tmp_path / "runs.db"
    w = {"w1": torch.randn(3, 4, generator=torch.Generator().manual_seed(0)), "b": torch.ones(2)}
    run_id = RunStore(path).save_run(
        "surrogate",
        {"dataset": "digits", "hidden": 100, "grid": (1, 2)},
        [{"epoch": 1, "loss": 1.5}, {"epoch": 2, "loss": 0.9}],
        {"test_accuracy": 0.95, "nan": math.nan},
        weights=w,
        name="first",
    )
    run = RunStore(path).get_run(run_id)  # a new store object: as after an app restart
    assert (run.kind, run.name) == ("surrogate", "first")
    assert run.config == {"dataset": "digits", "hidden": 100, "grid": [1, 2]}
    assert [h["loss"] for h in run.history] == [1.5, 0.9]
    assert run.metrics == {"test_accuracy": 0.95, "nan": None}
    loaded = run.load_weights()
    assert set(loaded) == {"w1", "b"}
    assert torch.equal(loaded["w1"], w["w1"])


def test_list_runs_filters_by_kind_newest_first(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    a = store.save_run("surrogate", {"i": 0})
    b = store.save_run("relpsp", {"i": 1})
    c = store.save_run("surrogate", {"i": 2})
    assert [r.id for r in store.list_runs()] == [c, b, a]
    assert [r.id for r in store.list_runs(kind="surrogate")] == [c, a]
    assert [r.id for r in store.list_runs(limit=1)] == [c]
    assert all(r.weights is None and not r.has_weights for r in store.list_runs())
    store.delete_run(b)
    assert [r.id for r in store.list_runs()] == [c, a]
    with pytest.raises(ValueError, match="no run"):
        store.get_run(b)


def test_concurrent_writers_keep_every_run(tmp_path):
    store = RunStore(tmp_path / "runs.db")

    def write(k: int) -> None:
        for i in range(5):
            store.save_run("nas", {"thread": k, "i": i})

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.list_runs(kind="nas")) == 20


def test_corrupt_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "runs.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ValueError, match="cannot be used.*SPIKELAB_DB"):
        RunStore(path)


def test_unwritable_location_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="SPIKELAB_DB"):
        RunStore(blocker / "sub" / "runs.db")


def test_weights_are_loaded_without_running_code(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    run_id = store.save_run("surrogate", {}, weights={"w": torch.zeros(1)})

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    buf = io.BytesIO()
    pickle.dump(Evil(), buf)
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE runs SET weights = ? WHERE id = ?", (buf.getvalue(), run_id))
    with pytest.raises(ValueError, match="not plain tensors, so they are refused") as info:
        store.get_run(run_id).load_weights()
    assert "weights_only" not in str(info.value)  # never torch's advice to unpickle anyway


def test_unserialisable_config_is_refused(tmp_path):
    with pytest.raises(ValueError, match="configuration cannot be stored"):
        RunStore(tmp_path / "runs.db").save_run("surrogate", {"f": object()})


def test_default_path_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DB_ENV, str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv(DB_ENV)
    assert default_db_path().name == "spikelab.db"
