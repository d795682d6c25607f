"""The adaptive LIF (Bellec et al. 2018): hand-computed traces, b = 0 is the LIF, CLI, page."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.neurons.simulation import Neuron, simulate

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "neuron_dynamics.py")


def alif(reset: str, b: float = 1.0) -> Neuron:
    # dt / tau_adapt = ln 2, so rho = 1/2 exactly: the hand arithmetic stays short
    return Neuron.make("alif", beta=0.5, threshold=1.0, reset=reset, adapt_b=b,
                       adapt_tau=1.0 / math.log(2.0), dt=1.0)


def test_soft_reset_by_hand() -> None:
    # x = 0.8 each step, beta = 1/2, theta = 1, b = 1, rho = 1/2.
    # t0: a=0, A=1, U=0.8 -> no spike
    # t1: a=0, A=1, U=0.4+0.8=1.2 -> spike
    # t2: a=0.5*0+0.5*1=0.5, A=1.5, U=0.6+0.8-A[1]*1=0.4 -> no spike
    # t3: a=0.25, A=1.25, U=0.2+0.8=1.0 -> no spike
    # t4: a=0.125, A=1.125, U=0.5+0.8=1.3 -> spike
    # t5: a=0.0625+0.5=0.5625, A=1.5625, U=0.65+0.8-A[4]=0.325 -> no spike
    result = simulate(alif("soft"), np.full(6, 0.8))
    np.testing.assert_allclose(result.mem, [0.8, 1.2, 0.4, 1.0, 1.3, 0.325], atol=1e-12)
    np.testing.assert_allclose(result.traces["threshold"],
                               [1.0, 1.0, 1.5, 1.25, 1.125, 1.5625], atol=1e-12)
    np.testing.assert_array_equal(result.spikes, [0, 1, 0, 0, 1, 0])


def test_hard_reset_by_hand() -> None:
    # Same drive; the hard reset removes beta * U[t-1] (the membrane restarts from zero):
    # t2: U = 0.6 + 0.8 - 0.5*1.2 = 0.8 (A=1.5);  t3: U = 0.4+0.8 = 1.2 (A=1.25) -> no spike
    # t4: U = 0.6+0.8 = 1.4 (A=1.125) -> spike;    t5: U = 0.7+0.8-0.7 = 0.8 (A=1.5625)
    result = simulate(alif("hard"), np.full(6, 0.8))
    np.testing.assert_allclose(result.mem, [0.8, 1.2, 0.8, 1.2, 1.4, 0.8], atol=1e-12)
    np.testing.assert_allclose(result.traces["threshold"],
                               [1.0, 1.0, 1.5, 1.25, 1.125, 1.5625], atol=1e-12)
    np.testing.assert_array_equal(result.spikes, [0, 1, 0, 0, 1, 0])


@pytest.mark.parametrize("reset", ["soft", "hard", "none"])
def test_without_adaptation_it_is_the_lif(reset: str) -> None:
    x = np.random.default_rng(2).random((300, 3)) * 0.5
    ours = simulate(Neuron.make("alif", beta=0.8, threshold=1.0, reset=reset, adapt_b=0.0), x)
    lif = simulate(Neuron.make("lif", beta=0.8, threshold=1.0, reset=reset), x)
    assert lif.spikes.sum() > 20
    np.testing.assert_array_equal(ours.spikes, lif.spikes)
    np.testing.assert_array_equal(ours.mem, lif.mem)
    np.testing.assert_array_equal(ours.traces["threshold"], np.ones_like(x))


def test_adaptation_slows_firing() -> None:
    x = np.full(500, 0.3)
    adapted = simulate(Neuron.make("alif", beta=0.9, adapt_b=1.8), x).spikes.sum()
    plain = simulate(Neuron.make("alif", beta=0.9, adapt_b=0.0), x).spikes.sum()
    assert 0 < adapted < plain


def test_cli_returns_mem_spikes_and_the_threshold_trace() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "core", "simulate", "--neuron", "alif", "--beta", "0.9",
         "--threshold", "1", "--adapt-tau", "50", "--adapt-b", "1.8", "--reset", "soft",
         "--input", "step", "--amplitude", "0.3", "--steps", "40", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for key in ("mem", "spikes", "threshold"):
        assert isinstance(out[key], list) and len(out[key]) == 40
    expected = simulate(Neuron.make("alif", beta=0.9, adapt_tau=50.0), np.full(40, 0.3))
    assert out["spikes"] == expected.spikes.astype(int).tolist() and sum(out["spikes"]) > 0
    assert out["threshold"] == pytest.approx(expected.traces["threshold"].tolist())
    assert out["threshold"][-1] > 1.0 and out["neuron"] == "alif"


def test_page_draws_the_threshold_trace() -> None:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params.update({"a_model": "alif", "amp": "0.3"})
    app.run()
    assert not app.exception
    assert app.selectbox(key="nd_a_model").value == "alif"
    assert app.slider(key="nd_a_adapt_tau").value == 200.0
    app.slider(key="nd_a_adapt_b").set_value(2.5).run()
    assert not app.exception and app.query_params["a_adapt_b"] == "2.5"
    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    names = [trace.get("name") for trace in chart["data"]]
    assert "U (A)" in names and "θ[t] (A)" in names
