"""The ``energy`` command's contract: once through a subprocess, the rest in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.cli import main
from core.store import RunStore

ROOT = Path(__file__).resolve().parents[1]


def run_core(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def last_json(proc: subprocess.CompletedProcess[str]) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict | None, str]:
    """``main`` in this process: exit code, the JSON line (when it succeeded), stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    return code, json.loads(lines[-1]) if code == 0 and lines else None, captured.err


def test_energy_arch_contract_through_a_subprocess() -> None:
    proc = run_core("energy", "--hardware", "yoso", "--arch", "784-800-10",
                    "--spikes", "100,80,10", "--json")
    yoso = last_json(proc)
    assert "yoso: 784-800-10" in proc.stderr  # progress on stderr, one JSON line on stdout
    assert len(proc.stdout.strip().splitlines()) == 1
    for key in ("energy_per_frame_j", "latency_s", "synaptic_ops", "ann_energy_j", "breakdown"):
        assert key in yoso
    assert yoso["synaptic_ops"] == 80800
    assert yoso["latency_s"] > 0 and yoso["energy_per_frame_j"] > 0
    assert yoso["energy_per_frame_j"] == pytest.approx(sum(yoso["breakdown"].values()))
    assert {"router hops", "weight SRAM read", "leakage"} <= set(yoso["breakdown"])
    assert len(yoso["mesh"]["utilisation"]) == 4


def test_energy_ops_model(capsys: pytest.CaptureFixture[str]) -> None:
    _, yoso, _ = call(capsys, "energy", "--arch", "784-800-10", "--spikes", "100,80,10", "--json")
    code, ops, err = call(capsys, "energy", "--hardware", "ops", "--arch", "784-800-10",
                          "--spikes", "100,80,10", "--e-ac-pj", "1", "--json")
    assert code == 0 and "784-800-10" in err
    assert ops["energy_per_frame_j"] == pytest.approx(80800e-12)
    assert ops["latency_s"] is None
    assert ops["ann_energy_j"] == yoso["ann_energy_j"]


def test_energy_options_calibration_and_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = call(capsys, "energy", "--calibrate", "--json")
    cal = out["calibration"]
    assert cal["published"]["power_w"] == 0.751e-3
    assert cal["energy_ratio"] == pytest.approx(
        out["energy_per_frame_j"] / cal["published"]["energy_per_frame_j"])
    _, swept, _ = call(capsys, "energy", "--arch", "784-800-10", "--spikes", "100,80,10",
                       "--sweep", "0.5,1,2", "--clock-mhz", "50", "--json")
    energies = [p["energy_j"] for p in swept["sweep"]]
    assert energies == sorted(energies) and len(energies) == 3
    assert swept["latency_cycles"] / swept["latency_s"] == pytest.approx(50e6)


@pytest.mark.parametrize(("args", "message"), [
    (("--arch", "784-2000-10", "--spikes", "1,1,1"), "needs 33 PEs"),
    (("--arch", "784-800-10", "--spikes", "1,2"), "one spike count per layer"),
    (("--arch", "784-800-10"), "--arch needs --spikes"),
    ((), "give --run RUN_ID"),
    (("--arch", "784-800-10", "--spikes", "1,1,1", "--rows", "0"), "rows must be"),
])
def test_energy_errors_are_one_line(args: tuple[str, ...], message: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(capsys, "energy", *args, "--json")
    assert code == 2
    assert message in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error:")


def test_energy_from_a_saved_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "runs.db"
    store = RunStore(db)
    weights = {"w1": torch.zeros(64, 20), "w2": torch.zeros(20, 10)}
    with_counts = store.save_run("surrogate", {"steps": 20}, weights=weights,
                                 metrics={"spikes_per_layer": [50, 30]})
    without = store.save_run("surrogate", {"steps": 20}, weights=weights)
    monkeypatch.setenv("SPIKELAB_DB", str(db))
    _, out, _ = call(capsys, "energy", "--hardware", "ops", "--run", str(with_counts), "--json")
    assert out["synaptic_ops"] == 50 * 20 + 30 * 10
    assert out["network"] == f"run {with_counts} (surrogate)"
    code, _, err = call(capsys, "energy", "--run", str(without), "--json")
    assert code == 2 and "spikes_per_layer" in err
    _, given, _ = call(capsys, "energy", "--run", str(without), "--spikes", "10,5,0", "--json")
    assert given["synaptic_ops"] == 10 * 20 + 5 * 10
    code, _, err = call(capsys, "energy", "--run", "999", "--db", str(db), "--json")
    assert code == 2 and "no run 999" in err
