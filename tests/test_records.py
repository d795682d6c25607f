"""The JSON record of a saved run: what ``runs --json`` lists, plus configuration and curves."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.records import run_record
from core.cli.train import run_runs
from core.store import RunStore


def test_a_run_record_extends_its_runs_json_entry(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    history = [{"epoch": 1, "loss": 1.5, "test_accuracy": 0.4},
               {"epoch": 2, "loss": 0.9, "test_accuracy": 0.7}]
    run_id = RunStore(db).save_run("surrogate", {"dataset": "digits", "hidden": 16},
                                   history=history, metrics={"test_accuracy": 0.7}, name="demo")
    listed = run_runs(argparse.Namespace(db=str(db), kind=None, limit=5))["runs"][0]
    record = run_record(RunStore(db).get_run(run_id))
    assert {k: record[k] for k in listed} == listed
    assert record["config"] == {"dataset": "digits", "hidden": 16}
    assert record["history"] == history
    assert json.loads(json.dumps(record)) == record
