"""The peers and scaling suites of ``python -m core bench``: the JSON contract, each library's
implementation on tiny shapes, the identical-maths loss check and the scaling fit.

No test asserts a wall time: timings are only checked to be positive numbers.
"""

from __future__ import annotations

import json
import math

import pytest
import torch

from core.bench import suite
from core.bench.peak import peak_memory_mb
from core.bench.peers import BY_NAME, OTHERS, PEERS, load
from core.bench.scaling import fit_exponent, run_scaling, sweep_values
from core.bench.suite import loss_check, run_peers
from core.bench.timing import round_robin
from core.bench.workload import PeerConfig, make_problem
from core.cli import main

TINY = PeerConfig(batch=6, steps=12, inputs=30, hidden=12, outputs=4, density=0.15)
IDENTICAL = [p.name for p in PEERS if p.identical]


def quiet(_: str) -> None:
    """A progress callback that says nothing."""


def test_peers_json_has_the_contract_keys(capsys):
    assert main(["bench", "--suite", "peers", "--smoke", "--no-memory", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for row in result["results"]:
        assert {"name", "batch", "median_s", "ratio", "peak_mem_mb"} <= row.keys()
        assert row["median_s"] > 0 and row["ratio"] > 0
    batches = {str(row["batch"]) for row in result["results"]}
    assert batches == {"16", "4"}
    for key in ("fastest_peer", "snntorch_ratio", "of_floor"):
        assert set(result[key]) == batches
    for best in result["fastest_peer"].values():
        assert best["name"] in OTHERS and best["ratio"] > 0
    assert isinstance(result["missing"], list) and isinstance(result["cpu"], str)
    # every implementation is either timed at each batch or reported missing
    names = {row["name"] for row in result["results"]}
    assert names | set(result["missing"]) == set(BY_NAME)
    fast = [r for r in result["results"] if r["name"] == "spikelab_fast"]
    assert all(r["ratio"] == 1.0 for r in fast)
    assert all(check["agree"] for check in result["loss_check"].values())


def test_a_missing_peer_is_reported_not_dropped(monkeypatch):
    real = suite.missing_reason
    monkeypatch.setattr(suite, "missing_reason",
                        lambda name: "No module named 'norse'" if name == "norse" else real(name))
    result = run_peers(TINY, (4,), 1, 1, False, quiet)
    assert result["missing"] == ["norse"] and "norse" in result["missing_reasons"]
    assert "norse" not in {row["name"] for row in result["results"]}
    assert result["fastest_peer"]["4"]["name"] != "norse"


@pytest.mark.parametrize("name", [p.name for p in PEERS])
def test_each_peer_computes_a_finite_loss_and_gradient(name):
    step = load(name)(make_problem(TINY))  # every peer is installed by make install-dev
    first, second = step(), step()
    assert math.isfinite(first) and math.isfinite(second)
    assert step.params and all(p.grad is not None for p in step.params)
    assert all(torch.isfinite(p.grad).all() for p in step.params)
    assert any(p.grad.abs().sum() > 0 for p in step.params)


def test_identical_maths_agree_at_step_one_in_loss_and_gradient():
    problem = make_problem(TINY)
    steps = {name: load(name)(problem) for name in IDENTICAL}
    losses = {name: step() for name, step in steps.items()}
    assert loss_check(losses)["agree"] is True
    ref = steps["spikelab_reference"].params
    for name in ("spikelab_fast", "pytorch"):
        for mine, theirs in zip(steps[name].params, ref, strict=True):
            torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-4, atol=1e-6)


def test_norse_and_spikingjelly_map_onto_the_same_forward():
    """Both update current and membrane in the same step; with the scaled weights the two
    libraries' step-1 losses agree, which checks each one's parameter mapping."""
    problem = make_problem(TINY)
    norse, jelly = (load(name)(problem)() for name in ("norse", "spikingjelly"))
    assert norse == pytest.approx(jelly, rel=1e-5)


def test_loss_check_flags_a_disagreement():
    same = {"spikelab_reference": 2.0, "spikelab_fast": 2.0 + 1e-7, "pytorch": 2.0}
    assert loss_check(same)["agree"] is True
    assert loss_check({**same, "pytorch": 2.01})["agree"] is False
    assert loss_check({"spikelab_fast": 2.0})["agree"] is None  # nothing to compare
    assert loss_check({**same, "norse": 3.0})["agree"] is True  # other maths are not checked


def test_round_robin_calls_each_function_warmup_plus_repeats_times():
    calls = {"a": 0, "b": 0}

    def counter(name):
        def fn():
            calls[name] += 1
            return calls[name]
        return fn

    medians, first = round_robin({k: counter(k) for k in calls}, 2, 3, quiet)
    assert calls == {"a": 5, "b": 5} and first == {"a": 1, "b": 1}
    assert set(medians) == {"a", "b"} and all(m >= 0 for m in medians.values())


def test_peak_memory_is_measured_in_a_fresh_process():
    mb = peak_memory_mb("pytorch", TINY, timeout=300)
    assert mb is not None and mb >= 0


@pytest.mark.parametrize("exponent", [0.0, 0.5, 1.0, 2.3])
def test_fit_exponent_recovers_a_power_law(exponent):
    values = [25, 50, 100, 200]
    seconds = [3e-3 * v**exponent for v in values]
    assert fit_exponent(values, seconds) == pytest.approx(exponent, abs=1e-9)


def test_fit_exponent_averages_noise_and_refuses_bad_input():
    values, noise = [1, 2, 4, 8], [1.05, 0.95, 1.05, 0.95]
    assert fit_exponent(values, [v * n for v, n in zip(values, noise, strict=True)]) == (
        pytest.approx(1.0, abs=0.05))
    with pytest.raises(ValueError):
        fit_exponent([3, 3], [1.0, 2.0])
    with pytest.raises(ValueError):
        fit_exponent([1, 2], [0.0, 1.0])


def test_sweep_values_are_whole_sizes_and_densities_up_to_one():
    base = PeerConfig()
    assert sweep_values(base, "steps", (0.25, 0.5, 1, 2)) == [25, 50, 100, 200]
    assert sweep_values(base, "density", (1, 100)) == [0.02, 1.0]
    assert sweep_values(PeerConfig(batch=1), "batch", (0.25, 1)) == [1]


def test_scaling_suite_reports_an_exponent_per_quantity_and_the_reference_in_t():
    result = run_scaling(TINY, (0.5, 1.0, 2.0), 1, 1, quiet)
    assert set(result["exponents"]) == {"steps", "hidden", "batch", "density"}
    assert all(math.isfinite(e) for e in result["exponents"].values())
    for sweep in result["sweeps"].values():
        assert len(sweep["values"]) == len(sweep["median_s"]) == 3
    # the reference engine's exponent in T, beside the fast engine's (issue 28)
    assert result["implementation"] == "spikelab_fast"
    assert result["reference_implementation"] == "spikelab_reference"
    assert set(result["reference_exponents"]) == {"steps"}
    assert math.isfinite(result["reference_exponents"]["steps"])
    sweep = result["reference_sweeps"]["steps"]
    assert sweep["values"] == result["sweeps"]["steps"]["values"]
    assert sweep["exponent"] == result["reference_exponents"]["steps"]
    assert len(sweep["median_s"]) == 3 and min(sweep["median_s"]) > 0


@pytest.mark.parametrize("argv", [["--batches", "256,x"], ["--batches", "0"],
                                  ["--density", "0"], ["--threads", "0"]])
def test_bad_peer_arguments_exit_2_in_one_line(argv, capsys):
    code = None
    try:
        code = main(["bench", "--suite", "peers", "--no-memory", *argv])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
