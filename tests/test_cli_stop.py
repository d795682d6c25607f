"""Ctrl-C on a training command stops it at the next batch and keeps what it learnt.

``train`` and ``relpsp train`` used to die on Ctrl-C with "error: interrupted" and lose every
finished epoch; they now stop like ``nas-retrain`` does (``core.cli.common.stop_on_interrupt``):
the finished epochs are kept, the run is saved marked as stopped, and the JSON says so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.store import RunStore

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "train": ["train", "--dataset", "digits", "--epochs", "200", "--seed", "0"],
    "relpsp": ["relpsp", "train", "--dataset", "digits", "--epochs", "200", "--seed", "0"],
}


def interrupted_after_first_epoch(args: list[str], db: Path) -> tuple[int, dict, str]:
    """Run ``python -m core ARGS --json``, send SIGINT when its first epoch line appears."""
    env = {**os.environ, "SPIKELAB_DB": str(db), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "core", *args, "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:  # type: ignore[union-attr]
        lines.append(line)
        if line.startswith("epoch 1"):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=300)
    text = "".join(lines) + err
    return proc.returncode, json.loads(out.strip().splitlines()[-1]), text


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_ctrl_c_keeps_the_finished_epochs(name: str, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    code, result, err = interrupted_after_first_epoch(COMMANDS[name], db)
    assert code == 0, err
    assert "stopping at the next batch" in err
    assert "Traceback" not in err
    assert result["stopped"] is True
    runs = RunStore(db).list_runs()
    assert [r.id for r in runs] == [result["run_id"]]
    run = RunStore(db).get_run(result["run_id"])
    assert run.metrics["stopped"] is True
    epochs = len(run.history)
    assert 1 <= epochs < 200
