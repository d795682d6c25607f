"""Benchmarks page: the empty state says what to press, saved results are shown (table, bars,
targets, curves, missing peers), a quick suite runs to completion in the background and a
stopped one saves nothing; the conv suite likewise (its smoke run from the page, its targets
met and missed on hand-made results)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.figures.benchmarks import conv_figure, scaling_figure, step_time_figure
from app.text import md
from core.bench.conv_verdicts import conv_rows, conv_targets
from core.bench.curves import scaling_curves
from core.bench.results import KINDS, latest, save_result
from core.bench.verdicts import peer_rows, speed_words, targets
from core.bench.workload import PeerConfig
from core.store import RunStore
from tests.support import BENCH_TINY, ROOT, open_page, wait_while_running
from tests.test_bench_conv import MET, MISSED
from tests.url_roundtrip import roundtrip

TINY = BENCH_TINY
PAGE = "benchmarks.py"


def texts(at: AppTest) -> str:
    parts = [*at.info, *at.markdown, *at.caption, *at.warning, *at.error, *at.success]
    return " ".join(str(e.value) for e in parts)


def test_empty_page_says_which_button_to_press(tmp_path, monkeypatch):
    at = open_page(PAGE, tmp_path, monkeypatch)
    info = " ".join(i.value for i in at.info)
    assert "No peers result saved yet: press **Run the peers suite**" in info
    assert "`python -m core bench --suite peers --json > peers.json`" in info
    assert "No scaling result saved yet: press **Run the scaling suite**" in info
    assert not at.button(key="bn_run_peers").disabled
    assert "python -m core bench --suite peers --quick --json" in texts(at)  # sidebar captions
    assert "`make peers`" not in texts(at)  # said where a result lists a missing peer
    assert not at.error


def test_saved_results_are_shown_with_targets_and_missing_peers(tmp_path, monkeypatch, peers,
                                                                 scaling):
    store = RunStore(tmp_path / "runs.db")
    # The real result with Norse taken out, as a machine without Norse reports it.
    # Relabelled as the SHD shape timed in 7 rounds, so that its targets are verdicts.
    shd = {k: getattr(PeerConfig(), k) for k in ("inputs", "hidden", "outputs", "steps",
                                                  "density")}
    without = {**peers, "results": [r for r in peers["results"] if r["name"] != "norse"],
               "missing": ["norse"], "missing_reasons": {"norse": "No module named 'norse'"},
               "config": {**peers["config"], **shd, "repeats": 7, "warmup": 2}}
    save_result(store, without, {"command": "python -m core bench --suite peers --json"})
    save_result(store, scaling)
    at = open_page(PAGE, tmp_path, monkeypatch)
    assert not at.error, [e.value for e in at.error]
    goals, table = (d.value for d in at.dataframe)  # the targets, then the peers table
    verdicts = goals["verdict"].tolist()
    assert verdicts == [t.verdict for t in targets(without)]
    assert len(table) == len(peer_rows(without))
    assert md("Batch 4: ") in texts(at)  # who was fastest, in a sentence
    assert "Norse" not in " ".join(table["implementation"])
    shown = texts(at)
    assert f"Missing: **norse** ({md('No module named ' + repr('norse'))})." in shown
    assert "`make peers`" in shown  # how a `make run` install adds the peers
    assert f"Measured on **{md(peers['cpu'])}**" in shown
    assert "Command: `python -m core bench --suite peers --json`" in shown
    met = sum(v == "met" for v in verdicts)
    assert f"{met} of {len(verdicts)} met" in shown
    for curve in scaling_curves(scaling):
        assert f"**{md(curve.label)}** {curve.exponent:.2f}" in shown
    reference = scaling["reference_exponents"]["steps"]
    assert f"k = {reference:.2f} in {md('time steps T')}" in shown  # the reference engine
    assert len(at.get("plotly_chart")) == 2
    assert "Peak memory was not measured" in shown and "peak MB" not in table
    save_result(store, peers)  # tiny sizes, not the SHD shape: a smoke run, no verdicts
    smoke = open_page(PAGE, tmp_path, monkeypatch)
    assert md("a smoke run, not a verdict") in texts(smoke) and "no verdict" in texts(smoke)


def test_figures_are_log_scaled_with_exponents_in_the_legend(peers, scaling):
    bars = step_time_figure(peer_rows(peers))
    assert bars.layout.yaxis.type == "log" and {t.name for t in bars.data} == {"batch 4",
                                                                                 "batch 2"}
    curves = scaling_curves(scaling)
    lines = scaling_figure(curves)
    assert lines.layout.xaxis.type == "log" and lines.layout.yaxis.type == "log"
    assert [t.name for t in lines.data] == [c.legend for c in curves]


def test_a_corrupt_saved_result_is_one_error_not_a_traceback(tmp_path, monkeypatch):
    RunStore(tmp_path / "runs.db").save_run(KINDS["scaling"], {}, metrics={"suite": "scaling"})
    at = open_page(PAGE, tmp_path, monkeypatch)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "cannot be shown" in errors[0]


def test_a_quick_peers_run_completes_and_is_shown(tmp_path, monkeypatch):
    at = open_page(PAGE, tmp_path, monkeypatch)
    at.toggle(key="bn_memory").set_value(False).run()
    at.button(key="bn_run_peers").click().run()
    assert at.button(key="bn_run_scaling").disabled  # one suite at a time
    wait_while_running(at, "bn_job", 300)  # the SHD shape: minutes on a busy machine
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("The peers suite took" in s.value for s in at.success)
    saved = latest(RunStore(tmp_path / "runs.db"), "peers")
    assert saved.source["command"] == "python -m core bench --suite peers --quick --no-memory " \
                                      "--json"
    assert "verdict" in at.dataframe[0].value  # the targets line
    # The quick suite is the SHD shape at batch 64: SpikeLab fast is the fastest there, as the
    # full suite finds (docs/measurements.md: 6.3-6.5x the fastest peer), and the verdict says so.
    ratio = saved.result["fastest_peer"]["64"]["ratio"]
    assert ratio > 1 and md(f"Batch 64: SpikeLab fast is the fastest, {speed_words(ratio)}") \
        in texts(at)


@pytest.mark.parametrize("suite", ["scaling", "conv"])
def test_a_stopped_suite_saves_nothing(tmp_path, monkeypatch, suite):
    at = open_page(PAGE, tmp_path, monkeypatch)
    if suite == "conv":
        at.toggle(key="bn_conv_quick").set_value(True).run()
    at.button(key=f"bn_run_{suite}").click().run()
    at.button(key="bn_stop").click().run()
    wait_while_running(at, "bn_job", 120)
    assert not at.exception
    assert any(f"The {suite} suite was stopped; nothing was saved" in i.value for i in at.info)
    assert latest(RunStore(tmp_path / "runs.db"), suite) is None


def test_settings_round_trip_through_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))

    def change(at: AppTest) -> None:
        at.toggle(key="bn_quick").set_value(False).run()
        at.toggle(key="bn_memory").set_value(False).run()

    _, query = roundtrip(str(ROOT / "pages" / PAGE), change, ["bn_quick", "bn_memory"])
    assert query == {"quick": "0", "memory": "0"}


def test_reference_exponents_keep_only_finite_numbers() -> None:
    from core.bench.curves import reference_exponents

    assert reference_exponents({}) == {}
    assert reference_exponents({"reference_exponents": "x"}) == {}
    found = reference_exponents({"reference_exponents": {"steps": 1.02, "hidden": "![p](x)",
                                                         "batch": float("nan"), "t": True}})
    assert found == {"steps": 1.02}


# --- the conv suite ---------------------------------------------------------------------------


def test_an_empty_page_offers_the_conv_suite_and_says_how_long_it_takes(tmp_path, monkeypatch):
    at = open_page(PAGE, tmp_path, monkeypatch)
    info = " ".join(i.value for i in at.info)
    assert "No conv result saved yet: press **Run the conv suite**" in info
    assert "`python -m core bench --suite conv --json > conv.json`" in info
    assert not at.button(key="bn_run_conv").disabled
    said = " ".join(c.value for c in at.sidebar.caption)
    assert "Conv: about 45 s of timed steps (2 warm-up calls and 5 rounds" in said  # 7 x 6.6 s
    assert "docs/measurements.md" in said and "`python -m core bench --suite conv --json`" in said
    at.toggle(key="bn_conv_quick").set_value(True).run()
    said = " ".join(c.value for c in at.sidebar.caption)
    assert "Conv smoke run" in said and "--suite conv --quick --json" in said


def test_a_conv_smoke_run_completes_and_is_shown(tmp_path, monkeypatch):
    at = open_page(PAGE, tmp_path, monkeypatch)
    at.toggle(key="bn_conv_quick").set_value(True).run()
    at.button(key="bn_run_conv").click().run()
    assert at.button(key="bn_run_peers").disabled  # one suite at a time
    wait_while_running(at, "bn_job", 300)  # four libraries imported and built: a busy machine
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("The conv suite took" in s.value for s in at.success)
    saved = latest(RunStore(tmp_path / "runs.db"), "conv")
    assert saved.source["command"] == "python -m core bench --suite conv --quick --json"
    assert saved.result["config"]["time_steps"] == 2
    table = at.dataframe[0].value  # no targets table: a smoke run
    rows = conv_rows(saved.result)
    assert len(table) == len(rows) and list(table["step ms"]) == [r["step_ms"] for r in rows]
    assert "**Targets (issue 23): no verdict.**" in texts(at)
    assert len(at.get("plotly_chart")) == 1
    said = " ".join(c.value for c in at.sidebar.caption)
    assert f"Conv: its last run here took {saved.source['seconds']:.0f} s" in said


def test_saved_conv_targets_met_and_missed_are_shown(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs.db")
    for result in (MET, MISSED):
        save_result(store, result, {"from": "a test"})
        at = open_page(PAGE, tmp_path, monkeypatch)
        assert not at.error, [e.value for e in at.error]
        goals, table = (d.value for d in at.dataframe)
        expected = [t.verdict for t in conv_targets(result)]
        assert goals["verdict"].tolist() == expected
        met = expected.count("met")
        assert f"**Targets (issue 23):** {met} of 6 met." in texts(at)
        assert len(table) == len(conv_rows(result))
    assert expected == ["not met"] * 6  # MISSED, shown last
    shown = texts(at)
    assert f"Missing: **spikingjelly** ({md(MISSED['missing_reasons']['spikingjelly'])})." \
        in shown
    assert "`make peers`" in shown and "**Run the conv suite**" in shown
    assert set(goals["measured"]) == {"SpikeLab 2.00× faster", "SpikeLab 1.20× faster",
                                      "0.90 of the floor"}
    bars = conv_figure(conv_rows(MISSED))
    assert bars.layout.yaxis.type == "log"
    assert [t.name for t in bars.data] == ["batch 128", "batch 64"]
    assert list(bars.data[0].x)[:3] == ["SpikeLab bf16", "SpikeLab reference fp32",
                                        "snnTorch matched"]


def test_a_conv_run_without_a_batch_is_one_line(tmp_path, monkeypatch):
    at = open_page(PAGE, tmp_path, monkeypatch)
    at.multiselect(key="bn_conv_batches").set_value([]).run()
    assert "Pick at least one batch size" in " ".join(c.value for c in at.sidebar.caption)
    at.button(key="bn_run_conv").click().run()
    assert not at.exception and "bn_job" not in at.session_state
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "Pick at least one batch size" in errors[0]


def test_conv_settings_round_trip_through_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))

    def change(at: AppTest) -> None:
        at.multiselect(key="bn_conv_batches").set_value([64]).run()
        at.number_input(key="bn_conv_repeats").set_value(7).run()
        at.toggle(key="bn_conv_quick").set_value(True).run()

    _, query = roundtrip(str(ROOT / "pages" / PAGE), change,
                         ["bn_conv_batches", "bn_conv_repeats", "bn_conv_quick"])
    assert query == {"conv_batches": "64", "conv_repeats": "7", "conv_quick": "1"}
