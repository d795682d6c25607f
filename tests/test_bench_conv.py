"""``bench --suite conv``: its JSON contract with ``--quick``, and a missing library reported."""

from __future__ import annotations

import json

from core.bench import conv
from core.cli import main

KEYS = ("results", "fastest_peer", "fastest_peer_matched", "snntorch_ratio", "of_floor",
        "missing", "cpu", "loss_check")


def test_conv_json_has_the_contract_keys(capsys):
    assert main(["bench", "--suite", "conv", "--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["suite"] == "conv"
    for key in KEYS:
        assert key in result
    batches = {r["batch"] for r in result["results"]}
    assert batches == set(conv.QUICK["batches"])
    names = {(r["name"], r["variant"]) for r in result["results"]}
    assert ("spikelab_reference", "fp32") in names and ("floor", "tutorial") in names
    for row in result["results"]:
        assert row["median_s"] > 0 and row["ratio"] > 0 and row["step1_loss"] > 0
    for key in map(str, batches):
        assert result["of_floor"][key] > 0
        assert result["loss_check"][key]["agree"]
        if not result["missing"]:
            assert result["fastest_peer"][key]["name"] in {p.name for p in conv.PEERS}


def test_a_missing_peer_is_reported_not_dropped(monkeypatch):
    real = conv.load

    def failing(builder: str):
        if "snntorch" in builder:
            raise ImportError("No module named 'snntorch'")
        return real(builder)

    monkeypatch.setattr(conv, "load", failing)
    result = conv.run_conv((4,), 2, 1, 1, lambda _: None, mode="fp32")
    assert "snntorch" in result["missing"]
    assert "snntorch" in result["missing_reasons"]
    assert all(r["name"] != "snntorch" for r in result["results"])
    assert result["snntorch_ratio"]["4"] is None
    assert result["loss_check"]["4"]["agree"]  # float32: equal to LOSS_RTOL
