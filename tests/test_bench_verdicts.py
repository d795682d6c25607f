"""Issue 25: the Benchmarks demo's verdict reads the right way round.

A ratio below 1 reads "N× slower"; the quick suite measures what the full one measures (the
SHD shape, warm compiled loops, interleaved rounds) at batch 64, and its verdict names SpikeLab
fast the fastest there, as the full suite does (docs/measurements.md: 6.3-6.5× the fastest
peer at batch 64); a smoke run (tiny sizes, one round) shows no verdict at all. A machine
installed with `make run` lacks Norse and SpikingJelly: the page says how to add them.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from app.text import md
from core.bench import suite
from core.bench.results import latest, plan, run_plan, save_result
from core.bench.verdicts import speed_words, verdicts
from core.bench.workload import PeerConfig
from core.cli import main
from core.store import RunStore
from tests.support import open_page

SHD = {k: getattr(PeerConfig(), k) for k in ("inputs", "hidden", "outputs", "steps", "density")}


def shd_shaped(peers: dict, fastest_ratio: float) -> dict:
    """The tiny real result relabelled as an SHD-shaped quick run whose fastest peer took
    ``fastest_ratio`` times SpikeLab fast's time at every batch."""
    best = {k: {**v, "ratio": fastest_ratio} for k, v in peers["fastest_peer"].items()}
    return {**peers, "fastest_peer": best,
            "config": {**peers["config"], **SHD, "repeats": 5, "warmup": 2}}


def page_text(at) -> str:
    parts = [*at.info, *at.markdown, *at.caption, *at.warning, *at.error, *at.success]
    return " ".join(str(e.value) for e in parts)


@pytest.mark.parametrize(("ratio", "words"), [
    (4.94, "4.94× faster"), (0.26, "3.85× slower"), (1.0, "as fast"), (1.004, "as fast"),
    (0.5, "2.00× slower"), (10.96, "10.96× faster")])
def test_a_ratio_below_one_reads_slower(ratio: float, words: str) -> None:
    assert speed_words(ratio) == words


def test_the_verdict_names_the_fastest_implementation(peers: dict) -> None:
    label = next(r["label"] for r in peers["results"]
                 if r["name"] == peers["fastest_peer"]["4"]["name"])
    ahead = verdicts(shd_shaped(peers, 6.45))
    assert ahead[0] == (f"Batch 4: SpikeLab fast is the fastest, 6.45× faster than the "
                        f"fastest peer ({label}).")
    behind = verdicts(shd_shaped(peers, 0.26))
    assert behind[0] == f"Batch 4: {label} is the fastest; SpikeLab fast is 3.85× slower."
    assert "faster" not in behind[0]
    assert verdicts(peers) == []  # tiny sizes, one round: a smoke run has no verdict


def test_quick_is_the_shd_shape_at_batch_64_and_smoke_is_tiny(monkeypatch, capsys) -> None:
    calls = []

    def fake(cfg, batches, repeats, warmup, memory, progress):
        calls.append((cfg, batches, repeats, warmup, memory))
        return {"suite": "peers"}

    monkeypatch.setattr(suite, "run_peers", fake)
    assert main(["bench", "--suite", "peers", "--quick", "--no-memory", "--json"]) == 0
    assert main(["bench", "--suite", "peers", "--smoke", "--no-memory", "--json"]) == 0
    capsys.readouterr()
    (quick, q_batches, q_repeats, q_warmup, _), (smoke, s_batches, s_repeats, _, _) = calls
    assert quick == PeerConfig() and q_batches == (64,) and q_repeats >= 3 and q_warmup == 2
    assert smoke.hidden == suite.SMOKE["hidden"] and s_batches == (16, 4) and s_repeats == 1
    assert asdict(plan("peers", quick=True))["config"] == asdict(PeerConfig())


def test_a_smoke_result_shows_no_verdict(tmp_path, monkeypatch, peers: dict) -> None:
    save_result(RunStore(tmp_path / "runs.db"), peers)
    at = open_page("benchmarks.py", tmp_path, monkeypatch)
    shown = page_text(at)
    assert "**Targets (issue 15): no verdict.**" in shown
    assert "of 6 met" not in shown and "is the fastest" not in shown
    assert "verdict" not in at.dataframe[0].value  # the peers table only, no targets table


def test_after_a_plain_install_the_quick_suite_shows_spikelab_fastest(tmp_path, monkeypatch):
    """`make run` installs snnTorch but not Norse or SpikingJelly: the quick suite runs what
    is there, names SpikeLab fast the fastest at batch 64 and says how to add the peers."""
    real = suite.missing_reason
    gone = {"norse": "No module named 'norse'", "spikingjelly": "No module named 'spikingjelly'"}
    monkeypatch.setattr(suite, "missing_reason", lambda name: gone.get(name) or real(name))
    db = tmp_path / "runs.db"
    run_plan(plan("peers", quick=True, memory=False), str(db))
    result = latest(RunStore(db), "peers").result
    assert result["missing"] == ["norse", "spikingjelly"]
    assert result["config"]["hidden"] == 200 and {r["batch"] for r in result["results"]} == {64}
    at = open_page("benchmarks.py", tmp_path, monkeypatch)
    shown = page_text(at)
    ratio = result["fastest_peer"]["64"]["ratio"]
    assert ratio > 1, json.dumps(result["fastest_peer"])  # the full suite: 6.3-6.5x at 64
    assert md(f"Batch 64: SpikeLab fast is the fastest, {speed_words(ratio)}") in shown
    goals = at.dataframe[0].value
    assert all(m.endswith(("faster", "of the floor")) for m in goals["measured"].dropna())
    assert "`make peers`" in shown and "--no-deps" in shown
    table = at.dataframe[1].value
    assert all(w == "" or w.endswith(("faster", "slower", "as fast"))
               for w in table["SpikeLab fast is"])
