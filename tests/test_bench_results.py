"""Benchmark results: the store round trip, one-sentence errors for corrupt or foreign files,
and the table, targets and curves computed from real (tiny) runs of the suites."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from dataclasses import asdict

import pytest

from core.bench.curves import scaling_curves, scaling_rows
from core.bench.results import (
    KINDS,
    Plan,
    check_result,
    latest,
    parse_result,
    plan,
    run_plan,
    save_result,
)
from core.bench.scaling import fit_exponent
from core.bench.suite import FAST, QUICK, SMOKE
from core.bench.verdicts import missing_peers, peer_rows, targets, workload_note
from core.bench.workload import PeerConfig
from core.progress import Count
from core.store import RunStore
from tests.support import BENCH_TINY, ROOT

TINY = BENCH_TINY


@pytest.fixture
def store(tmp_path) -> RunStore:
    return RunStore(tmp_path / "runs.db")


def one_sentence(message: str) -> bool:
    return "\n" not in message and message.endswith(".") and "Traceback" not in message


def test_results_round_trip_through_the_store_and_survive_a_restart(store, peers, scaling):
    assert latest(store, "peers") is None and latest(store, "scaling") is None
    first = save_result(store, peers, {"command": "python -m core bench --suite peers --json"})
    save_result(store, scaling)
    again = RunStore(store.path)  # a new connection: what an app restart sees
    saved = latest(again, "peers")
    assert saved.id == first and saved.suite == "peers"
    assert saved.result == json.loads(json.dumps(peers))
    assert saved.cpu == peers["cpu"]
    assert saved.source["command"].startswith("python -m core bench")
    assert latest(again, "scaling").result["exponents"] == scaling["exponents"]
    assert (latest(again, "scaling").result["reference_exponents"]
            == scaling["reference_exponents"])
    newer = save_result(again, peers)
    assert latest(again, "peers").id == newer  # the last one is shown


def test_corrupt_and_foreign_files_give_one_sentence(peers, scaling):
    cases = {
        b"{not json": "not JSON",
        b"\xff\xfe\x00": "not",
        b"[1, 2]": "not a JSON object",
        json.dumps({"suite": "training", "speedup": 2}).encode(): "names no peers or scaling",
        json.dumps({**peers, "results": []}).encode(): "no timed implementations",
        json.dumps({**peers, "results": [{**peers["results"][0], "median_s": -1}]}).encode():
            "not positive",
        json.dumps({**peers, "of_floor": 3}).encode(): "'of_floor'",
        json.dumps({**scaling, "sweeps": {"steps": {"values": [1, 2], "median_s": [0.1],
                                                    "exponent": 1.0}}}).encode():
            "do not pair up",
    }
    for data, words in cases.items():
        with pytest.raises(ValueError) as info:
            parse_result(data)
        assert words in str(info.value) and one_sentence(str(info.value)), str(info.value)
    assert parse_result(json.dumps(peers)) == ("peers", json.loads(json.dumps(peers)))
    with pytest.raises(ValueError, match="a scaling result, not a peers result"):
        check_result(scaling, "peers")


def test_a_foreign_saved_run_is_refused_in_one_sentence(store):
    run_id = store.save_run(KINDS["peers"], {}, metrics={"suite": "peers"})
    with pytest.raises(ValueError) as info:
        latest(store, "peers")
    assert str(info.value).startswith(f"Saved benchmark {run_id}:")
    assert one_sentence(str(info.value))


def test_peer_rows_are_the_suite_s_figures(peers):
    rows = peer_rows(peers)
    timed = [r for r in rows if r["name"] != "floor"]
    assert len(timed) == len(peers["results"])
    assert [r["batch"] for r in rows] == sorted((r["batch"] for r in rows), reverse=True)
    for batch in (4, 2):
        mine = [r for r in rows if r["batch"] == batch]
        fast = next(r for r in mine if r["name"] == FAST)
        assert fast["ratio"] == 1.0 and fast["implementation"] == "SpikeLab fast"
        for row in mine:
            assert math.isclose(row["ratio"], row["median_s"] / fast["median_s"], rel_tol=1e-9)
        assert mine[-1]["name"] == "floor"
        assert mine[-1]["median_s"] == peers["floor_s"][str(batch)]
        ratios = [r["ratio"] for r in mine[:-1]]
        assert ratios == sorted(ratios)
    assert missing_peers(peers) == {n: peers["missing_reasons"][n] for n in peers["missing"]}


def test_targets_are_computed_from_the_result(peers):
    found = targets(peers)
    assert len(found) == 3 * 2  # three targets at two batches
    for t in found:
        key = {3.0: "fastest_peer", 5.0: "snntorch_ratio", 0.5: "of_floor"}[t.threshold]
        value = peers[key][str(t.batch)]
        if key == "fastest_peer":
            assert t.against == next(r["label"] for r in peers["results"]
                                     if r["name"] == value["name"])
            value = value["ratio"]
        assert t.measured == value
        assert t.met == (value <= 0.5 if key == "of_floor" else value >= t.threshold)
        assert t.verdict == ("met" if t.met else "not met")
    # Without snnTorch (as the suite reports a missing peer) its target is not measured.
    without = {**peers, "snntorch_ratio": {k: None for k in peers["snntorch_ratio"]}}
    assert {t.verdict for t in targets(without) if t.threshold == 5.0} == {"not measured"}


def test_scaling_curves_carry_the_fitted_exponents(scaling):
    curves = scaling_curves(scaling)
    assert [c.quantity for c in curves] == ["steps", "hidden", "batch", "density"]
    for curve in curves:
        assert curve.exponent == scaling["exponents"][curve.quantity]
        assert math.isclose(curve.exponent, fit_exponent(curve.values, curve.seconds))
        assert curve.base == getattr(TINY, curve.quantity)
        assert f"k = {curve.exponent:.2f}" in curve.legend
    rows = scaling_rows(curves)
    assert len(rows) == sum(len(c.values) for c in curves)


def test_the_page_s_plans_are_the_command_line_s():
    quick = plan("peers", quick=True, memory=False)
    assert quick.batches == QUICK["batches"] == (64,) and quick.repeats == QUICK["repeats"]
    assert quick.config == asdict(PeerConfig()) and not quick.memory  # the SHD shape
    assert quick.warmup == 2 and quick.repeats >= 3  # warm loops, interleaved rounds
    assert quick.command == "python -m core bench --suite peers --quick --no-memory --json"
    assert plan("scaling", quick=True).config["hidden"] == SMOKE["hidden"]
    full = plan("peers", quick=False)
    assert full.batches == (256, 64) and full.repeats == 7 and full.memory
    assert full.config["inputs"] == 700 and full.command.endswith("--suite peers --json")
    assert plan("scaling", quick=True).factors == (0.5, 1.0, 2.0)
    with pytest.raises(ValueError, match="peers or scaling"):
        plan("training")


def test_run_plan_reports_progress_saves_and_stops(tmp_path):
    db = str(tmp_path / "runs.db")
    tiny = Plan("scaling", asdict(TINY), factors=(0.5, 1.0), command="tiny")
    items: list = []
    run_id = run_plan(tiny, db, report=items.append)
    saved = latest(RunStore(db), "scaling")
    assert saved.id == run_id and saved.source["command"] == "tiny"
    assert saved.source["seconds"] > 0 and saved.source["plan"]["factors"] == [0.5, 1.0]
    assert "revision" in saved.source  # the git revision, or None outside a checkout
    counts = [count for _, count in items]
    assert all(isinstance(c, Count) and c.total == tiny.units for c in counts)
    assert counts[-1].done == tiny.units
    stop = threading.Event()
    stop.set()
    assert run_plan(tiny, db, stop=stop) is None  # stopped at its first message
    assert latest(RunStore(db), "scaling").id == run_id  # nothing more was saved


def test_the_command_line_s_json_loads_as_a_result(tmp_path):
    """The contract: what ``bench --suite peers --json`` prints is a result the page shows."""
    out = subprocess.run(
        [sys.executable, "-m", "core", "bench", "--suite", "peers", "--json", "--batches", "3",
         "--steps", "4", "--inputs", "6", "--hidden", "5", "--outputs", "2", "--repeats", "1",
         "--no-memory", "--threads", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=True)
    suite, result = parse_result(out.stdout)
    assert suite == "peers"
    store = RunStore(tmp_path / "runs.db")
    save_result(store, result, {"from": "the file peers.json"})
    rows = peer_rows(latest(store, "peers").result)
    assert {r["batch"] for r in rows} == {3}
    assert {t.batch for t in targets(result)} == {3}


def test_a_result_off_the_shd_shape_says_it_is_a_smoke_run(peers, scaling):
    for result in (peers, scaling):
        note = workload_note(result)
        assert "10-8-3, T = 5" in note and "700-200-20, T = 100" in note and one_sentence(note)
    shd = {**peers, "config": {**peers["config"], **{k: getattr(PeerConfig(), k) for k in (
        "inputs", "hidden", "outputs", "steps", "density")}, "repeats": 5, "warmup": 2}}
    assert workload_note(shd) is None
    # The SHD shape timed in one round after one warm-up call is a smoke run too.
    once = {**shd, "config": {**shd["config"], "repeats": 1, "warmup": 1}}
    note = workload_note(once)
    assert "1 round(s) after 1 warm-up call(s)" in note and "not a verdict" in note
    assert one_sentence(note)
