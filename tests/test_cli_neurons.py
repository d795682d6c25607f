"""The command-line contract of ``simulate`` and ``relpsp spike-time``, through a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_core(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def last_json(proc: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_simulate_contract() -> None:
    proc = run_core("simulate", "--neuron", "lif", "--reset", "soft", "--beta", "0.5",
                    "--threshold", "1", "--input", "step", "--amplitude", "0.6", "--steps", "6",
                    "--seed", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    out = last_json(proc)
    assert out["mem"] == pytest.approx([0.6, 0.9, 1.05, 0.125, 0.6625, 0.93125])
    assert out["spikes"] == [0, 0, 1, 0, 0, 0]
    assert "syn" not in out
    assert proc.stderr.strip()  # progress goes to stderr


def test_simulate_synaptic_has_current_and_if_forces_beta_one() -> None:
    syn = last_json(run_core("simulate", "--neuron", "synaptic", "--alpha", "0.5", "--beta",
                             "0.5", "--input", "step", "--amplitude", "1", "--steps", "3",
                             "--json"))
    assert syn["syn"] == pytest.approx([1.0, 1.5, 1.75])
    assert len(syn["mem"]) == len(syn["spikes"]) == 3
    integ = last_json(run_core("simulate", "--neuron", "if", "--beta", "0.2", "--reset", "none",
                               "--amplitude", "0.25", "--steps", "4", "--threshold", "5",
                               "--json"))
    assert integ["beta"] == 1.0
    assert integ["mem"] == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_poisson_seed_reproduces_and_backends_agree() -> None:
    args = ("simulate", "--neuron", "synaptic", "--reset", "hard", "--input", "poisson",
            "--amplitude", "0.8", "--rate", "0.4", "--steps", "80", "--seed", "5", "--json")
    first, again = last_json(run_core(*args)), last_json(run_core(*args))
    assert first["spikes"] == again["spikes"] and sum(first["spikes"]) > 0
    theirs = last_json(run_core(*args, "--backend", "snntorch"))
    assert theirs["spikes"] == first["spikes"]
    assert theirs["mem"] == pytest.approx(first["mem"], abs=1e-5)


def test_relpsp_spike_time_contract() -> None:
    out = last_json(run_core("relpsp", "spike-time", "--times", "1,2,3", "--weights",
                             "0.5,0.5,0.5", "--threshold", "1", "--json"))
    assert out["spike_time"] == pytest.approx(2.5)
    silent = last_json(run_core("relpsp", "spike-time", "--times", "1", "--weights", "-1",
                                "--threshold", "1", "--json"))
    assert silent["spike_time"] is None


@pytest.mark.parametrize(
    "args",
    [
        ("simulate", "--beta", "1.5", "--json"),
        ("simulate", "--threshold", "0", "--json"),
        ("simulate", "--steps", "0", "--json"),
        ("simulate", "--neuron", "hodgkin", "--json"),
        ("simulate", "--amplitude", "lots", "--json"),
        ("simulate", "--input", "poisson", "--rate", "2", "--json"),
        ("relpsp", "spike-time", "--times", "1,2", "--weights", "1", "--json"),
        ("relpsp", "spike-time", "--times", "1,x", "--weights", "1,1", "--json"),
        ("no-such-command",),
    ],
)
def test_bad_arguments_exit_nonzero_with_one_line(args: tuple[str, ...]) -> None:
    proc = run_core(*args)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert proc.stdout == ""


def test_bench_explorer_reports_ratios() -> None:
    out = last_json(run_core("bench", "--suite", "explorer", "--steps", "200", "--repeats", "3",
                             "--json"))
    assert out["page_compute_ms"] > 0 and out["of_budget"] == pytest.approx(
        out["page_compute_ms"] / out["budget_ms"])
    assert out["speedup_vs_snntorch"] == pytest.approx(
        out["snntorch_neuron_ms"] / out["neuron_ms"])


def test_bench_playground_reports_rates() -> None:
    out = last_json(run_core("bench", "--suite", "playground", "--repeats", "3", "--json"))
    assert out["steps_per_second"] > 0 and out["redraw_ms"] > 0
