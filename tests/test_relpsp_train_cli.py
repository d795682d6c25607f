"""``python -m core relpsp train`` through a subprocess: the JSON contract, saving, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from tests.support import BRAILLE

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = {
    "train_accuracy", "test_accuracy", "dead_neuron_ratio", "mean_output_spike_time",
    "seconds", "run_id",
}


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SPIKELAB_DB": str(tmp_path / "runs.db"),
           "SPIKELAB_DATA": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "core", "relpsp", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_train_prints_the_contract_and_saves_the_run(tmp_path: Path) -> None:
    done = cli(tmp_path, "train", "--dataset", "digits", "--hidden", "32", "--epochs", "3",
               "--max-train", "600", "--seed", "3", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert CONTRACT <= set(out)
    assert 0.3 < out["test_accuracy"] <= 1 and 0 <= out["dead_neuron_ratio"] <= 1
    assert out["mean_output_spike_time"] > 0 and out["hidden"] == [32] and out["seed"] == 3
    assert "epoch 3:" in done.stderr  # progress goes to stderr
    from core.store import RunStore

    run = RunStore(tmp_path / "runs.db").get_run(out["run_id"])
    assert run.kind == "relpsp" and run.config["seed"] == 3 and len(run.history) == 3
    assert run.metrics["test_accuracy"] == out["test_accuracy"]


def test_braille_from_a_local_file_and_no_save(tmp_path: Path) -> None:
    done = cli(tmp_path, "train", "--dataset", "braille", "--data-path", str(BRAILLE),
               "--epochs", "1", "--no-save", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["run_id"] is None and out["dataset"] == "braille"


def test_missing_data_gives_a_one_line_error(tmp_path: Path) -> None:
    done = cli(tmp_path, "train", "--dataset", "fashion-mnist", "--no-download", "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
    assert "Fashion" in done.stderr or "fashion" in done.stderr


@pytest.mark.parametrize(
    "bad",
    [["--hidden", "0,-3"], ["--epochs", "0"], ["--dataset", "cifar10"], ["--theta", "-1"],
     ["--arch", "conv", "--dataset", "braille"], ["--threads", "0"]],
)
def test_bad_arguments_exit_2_with_one_line(bad: list[str], capsys) -> None:
    try:
        code = main(["relpsp", "train", *bad, "--json"])
    except SystemExit as exc:  # argparse rejects it before the handler runs
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_spike_time_still_works(tmp_path: Path) -> None:
    done = cli(tmp_path, "spike-time", "--times", "1,2,3", "--weights", "0.5,0.5,0.5",
               "--threshold", "1", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout.strip().splitlines()[-1])["spike_time"] == 2.5
