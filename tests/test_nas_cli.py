"""``python -m core nas`` and ``nas-worker``: the JSON contract, continuing studies, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from tests.nas_support import TINY, tiny_environment

ROOT = Path(__file__).resolve().parents[1]
TRIAL_KEYS = {"number", "algorithm", "neuron", "reset", "layers", "val_accuracy",
              "train_accuracy", "spikes", "seconds"}


@pytest.fixture(autouse=True)
def _tiny(monkeypatch, tmp_path):
    yield from tiny_environment(monkeypatch, tmp_path)


def _json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_nas_prints_all_trials_and_continues(capsys, tmp_path):
    storage = f"sqlite:///{tmp_path / 'nas.db'}"
    args = ("nas", "--algorithm", "random", "--dataset", "digits", "--neuron", "LIF",
            "--storage", storage, "--study", "s", "--json")
    out = _json(capsys, *args, "--trials", "2")
    assert len(out["trials"]) == 2
    for trial in out["trials"]:
        assert set(trial) >= TRIAL_KEYS
        assert trial["algorithm"] == "random" and trial["neuron"] == "LIF"
        assert trial["reset"] in ("hard", "soft") and len(trial["layers"]) == TINY.layers
        assert all(f in TINY.filters and k in TINY.kernels for f, k in trial["layers"])
    best = max(out["trials"], key=lambda t: t["val_accuracy"])
    assert out["best"]["val_accuracy"] == best["val_accuracy"]
    again = _json(capsys, *args, "--trials", "1")
    assert [t["number"] for t in again["trials"]] == [0, 1, 2]
    assert again["trials"][:2] == out["trials"]
    joined = _json(capsys, "nas-worker", "--study", "s", "--storage", storage, "--trials", "1",
                   "--seed", "7", "--json")
    assert len(joined["trials"]) == 4 and joined["trials"][3]["neuron"] == "LIF"
    assert joined["seed"] == 7


def test_dnn_baseline_and_greedy_from_the_command_line(capsys, tmp_path):
    out = _json(capsys, "nas", "--algorithm", "greedy", "--model", "dnn", "--trials", "2",
                "--storage", str(tmp_path / "d.db"), "--json")
    assert out["study"] == "digits-dnn-greedy-small"
    assert [t["spikes"] for t in out["trials"]] == [None, None]
    assert all(t["neuron"] is None and t["model"] == "dnn" for t in out["trials"])
    first, second = (t["layers"] for t in out["trials"])
    assert sum(a != b for a, b in zip(sum(first, []), sum(second, []), strict=True)) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nas-worker", "--study", "missing"], "no study named 'missing'"),
        (["nas", "--algorithm", "random", "--model", "dnn", "--neuron", "IF"], "ReLU"),
        (["nas", "--algorithm", "random", "--dataset", "cifar10", "--no-download"], "cifar-10"),
        (["nas", "--algorithm", "random", "--trials", "0"], "at least 1"),
    ],
)
def test_errors_are_one_line(capsys, tmp_path, argv, message):
    assert main([*argv, "--storage", str(tmp_path / "e.db"), "--no-store"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and message in err[-1]
    assert not any("Traceback" in line for line in err)
    if "cifar10" in argv:  # the data is checked before the study is created
        assert main(["nas-worker", "--study", "cifar10-snn-random-study",
                     "--storage", str(tmp_path / "e.db")]) == 2
        assert "no study named" in capsys.readouterr().err


def test_budget_is_trials_or_minutes(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["nas", "--algorithm", "random", "--trials", "1", "--minutes", "1"])
    assert exit_info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_real_small_preset_trial_from_a_shell(tmp_path):
    """The real ``small`` preset as a user runs it: one trial well within 20 s."""
    env = {**os.environ, "SPIKELAB_DB": str(tmp_path / "runs.db")}
    proc = subprocess.run(
        [sys.executable, "-m", "core", "nas", "--algorithm", "bayesian", "--trials", "1",
         "--threads", "1", "--storage", str(tmp_path / "real.db"), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    trial = out["trials"][0]
    assert len(trial["layers"]) == 4 and max(f for f, _ in trial["layers"]) <= 64
    assert trial["val_accuracy"] > 0.3 and trial["spikes"] > 0
    assert trial["seconds"] < 20
    assert "trial 0 complete" in proc.stderr
