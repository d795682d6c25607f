"""``bench --suite conv``: its JSON contract with ``--quick``, a missing library reported, and
how a result reads (``core.bench.conv_verdicts``): the table's rows from a stored result, issue
23's targets met and missed on hand-made results, the smoke run's no-verdict, the time a run
takes from measured step times, and the Benchmarks page's plan (``results.conv_plan``)."""

from __future__ import annotations

import json

import pytest

from core.bench import conv
from core.bench.conv_verdicts import (
    RECORDED_ROUND_S,
    conv_note,
    conv_rows,
    conv_takes,
    conv_targets,
)
from core.bench.results import conv_plan, latest, parse_result, save_result
from core.cli import main
from core.store import RunStore

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


# --- reading a conv result: table rows, issue 23's targets, the time a run takes -----------

OURS = 0.125  # SpikeLab's step (s): a power of two, so the ratios below are exact


def made(peers: dict[str, tuple[float, float]], floor: float, batches=(128, 64),
         missing: tuple[str, ...] = (), steps: int = 4, repeats: int = 5) -> dict:
    """A conv result made by hand, summarised by the suite's own ``conv.summarise``: SpikeLab
    at ``OURS`` s, each peer's (tutorial, matched) step, the float32 floor at ``floor`` s (the
    matched floor at half of it), every step-1 loss 2.3."""
    rows = []
    for batch in batches:
        times = {("spikelab", "bf16"): OURS, ("spikelab_reference", "fp32"): 2 * OURS,
                 ("floor", "tutorial"): floor, ("floor", "matched"): floor / 2}
        for name, (tutorial, matched) in peers.items():
            times |= {(name, "tutorial"): tutorial, (name, "matched"): matched}
        rows += [{"name": n, "variant": v, "label": f"{n} label", "batch": batch,
                  "median_s": s, "ratio": s / OURS, "peak_mem_mb": None, "step1_loss": 2.3}
                 for (n, v), s in times.items()]
    per = {str(b): conv.summarise(rows, b, "bf16") for b in batches}
    return {"suite": "conv", "results": rows,
            **{key: {k: v[part] for k, v in per.items()} for key, part in (
                ("fastest_peer", "fastest"), ("fastest_peer_matched", "fastest_matched"),
                ("snntorch_ratio", "snntorch"), ("of_floor", "of_floor"),
                ("floor_s", "floor_s"), ("loss_check", "loss_check"))},
           "missing": sorted(missing), "missing_reasons": {m: f"No module named {m!r}"
                                                           for m in missing},
           "notes": {p.name: p.notes for p in conv.PEERS}, "precision": "bf16",
           "cpu": "a hand-made CPU", "cores": 2, "threads": 2,
           "load_average": {"before": [0.5, 0.5, 0.5], "after": [0.5, 0.5, 0.5]},
           "config": {"time_steps": steps, "batches": list(batches), "repeats": repeats,
                      "warmup": 2}}


#: Every target met at both batches: 3x and 1.5x the fastest peer, half the floor.
MET = made({"snntorch": (0.5, 0.25), "spikingjelly": (0.375, 0.1875)}, floor=0.25)
#: Every target missed: 2x and 1.2x the fastest peer, 0.9 of the floor (as 1/1.11...).
MISSED = made({"snntorch": (0.25, 0.15), "norse": (0.3, 0.2)}, floor=0.125 / 0.9,
              missing=("spikingjelly",))


def test_the_targets_are_met_or_missed_as_the_result_says() -> None:
    met = conv_targets(MET)
    assert [(t.goal[:4], t.batch) for t in met] == [
        ("≥ 2.", 128), ("≥ 2.", 64), ("≥ 1.", 128), ("≥ 1.", 64), ("≤ 0.", 128), ("≤ 0.", 64)]
    assert [t.measured for t in met] == [3.0, 3.0, 1.5, 1.5, 0.5, 0.5]
    assert all(t.verdict == "met" for t in met)
    assert {t.against for t in met[:4]} == {"spikingjelly label"}
    missed = conv_targets(MISSED)
    assert [round(t.measured, 6) for t in missed] == [2.0, 2.0, 1.2, 1.2, 0.9, 0.9]
    assert all(t.verdict == "not met" for t in missed)
    assert {t.against for t in missed[:4]} == {"snntorch label"}


def test_a_target_exactly_at_its_threshold_is_met_and_no_peer_is_not_measured() -> None:
    edge = made({"norse": (2.5 * OURS, 1.3 * OURS)}, floor=1.25 * OURS, batches=(64,))
    assert [(t.measured, t.verdict) for t in conv_targets(edge)] == [
        (2.5, "met"), (1.3, "met"), (0.8, "met")]
    alone = made({}, floor=0.5, batches=(128,), missing=("norse", "snntorch", "spikingjelly"))
    assert [t.verdict for t in conv_targets(alone)] == ["not measured", "not measured", "met"]


def test_a_smoke_run_or_another_batch_gives_no_verdict() -> None:
    assert conv_note(MET) is None
    smoke = made({"norse": (1.0, 1.0)}, floor=1.0, batches=(8, 4), steps=2, repeats=1)
    assert "a smoke run, not a verdict" in conv_note(smoke) and conv_targets(smoke) == []
    assert "a smoke run" in conv_note(made({"norse": (1.0, 1.0)}, floor=1.0, repeats=2))
    other = made({"norse": (1.0, 1.0)}, floor=1.0, batches=(32,))
    assert "none of the batches" in conv_note(other) and conv_targets(other) == []
    # A run at 128 and 32: verdicts at 128 only.
    mixed = made({"norse": (1.0, 1.0)}, floor=1.0, batches=(128, 32))
    assert {t.batch for t in conv_targets(mixed)} == {128}


def test_the_table_rows_come_from_the_stored_result(tmp_path) -> None:
    store = RunStore(tmp_path / "runs.db")
    save_result(store, MISSED, {"from": "a test"})
    result = latest(store, "conv").result
    rows = conv_rows(result)
    assert len(rows) == len(result["results"]) == 2 * 8  # SpikeLab x2, 2 peers x2, floor x2
    assert [r["batch"] for r in rows] == [128] * 8 + [64] * 8
    first = rows[:8]
    assert [r["name"] for r in first[:2]] == ["spikelab", "spikelab_reference"]
    assert [(r["name"], r["variant"]) for r in first[2:6]] == [  # peers, fastest first
        ("snntorch", "matched"), ("norse", "matched"), ("snntorch", "tutorial"),
        ("norse", "tutorial")]
    assert [r["name"] for r in first[6:]] == ["floor", "floor"]
    by_key = {(r["name"], r["variant"], r["batch"]): r for r in result["results"]}
    for row in rows:
        stored = by_key[row["name"], row["variant"], row["batch"]]
        assert row["step_ms"] == stored["median_s"] * 1e3 and row["ratio"] == stored["ratio"]
        assert row["step1_loss"] == stored["step1_loss"]
    assert first[0]["ratio"] == 1.0 and first[2]["build"].startswith("matched")
    assert first[4]["build"].startswith("tutorial build") and first[7]["build"] == "float32"


def test_a_conv_result_is_checked_when_read() -> None:
    assert parse_result(json.dumps(MET).encode())[0] == "conv"
    for broken, words in (({"variant": 3}, "names no variant"),
                          ({"step1_loss": float("nan")}, "step-1 loss"),
                          ({"median_s": -1}, "time of result 1")):
        bad = {**MET, "results": [{**MET["results"][0], **broken}, *MET["results"][1:]]}
        with pytest.raises(ValueError, match=words):
            parse_result(json.dumps(bad).encode())
    with pytest.raises(ValueError, match="fastest_peer_matched"):
        parse_result(json.dumps({**MET, "fastest_peer_matched": None}).encode())


def test_the_time_of_a_run_comes_from_measured_step_times() -> None:
    recorded = conv_takes((128, 64), 5, 2)
    assert recorded.per_round == RECORDED_ROUND_S and "docs/measurements.md" in recorded.basis
    assert recorded.seconds == pytest.approx(7 * sum(RECORDED_ROUND_S.values()))
    saved = conv_takes((64, 32), 3, 2, MET)  # MET: 64 timed, 32 never
    assert saved.seconds is None and saved.untimed == (32,)
    saved = conv_takes((64,), 3, 2, MET)
    assert saved.per_round == {64: sum(r["median_s"] for r in MET["results"]
                                       if r["batch"] == 64)}
    assert saved.seconds == pytest.approx(5 * saved.per_round[64])
    assert saved.basis == "the last saved conv run's step times"
    smoke = made({"norse": (1.0, 1.0)}, floor=1.0, steps=2)  # not T = 4: not the suite's steps
    assert conv_takes((128,), 5, 2, smoke).per_round == {128: RECORDED_ROUND_S[128]}


def test_the_pages_plan_is_the_command_lines() -> None:
    quick = conv_plan(True, (), 99)
    assert quick.batches == conv.QUICK["batches"] and quick.repeats == conv.QUICK["repeats"]
    assert quick.command == "python -m core bench --suite conv --quick --json"
    full = conv_plan(False, [64, 128, 64], 5)
    assert full.batches == (128, 64) and full.warmup == conv.FULL["warmup"]
    assert full.config == {"time_steps": conv.FULL["steps"]}
    assert full.command == "python -m core bench --suite conv --json"
    assert full.units == 2 * (1 + 5)  # per batch: the build, then one message a round
    other = conv_plan(False, [32], 7)
    assert other.command == "python -m core bench --suite conv --batches 32 --repeats 7 --json"
    for batches, repeats in (([], 5), ([64], 0), ([64], 21)):
        with pytest.raises(ValueError):
            conv_plan(False, batches, repeats)
