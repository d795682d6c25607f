"""AppTest of the ReL-PSP page: train in the background, stop, read stored runs, explain errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.demos import about
from core.store import RunStore
from tests.demo_support import relpsp_run
from tests.support import isolate_store
from tests.url_roundtrip import fresh, notices, roundtrip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "relpsp.py")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_store(tmp_path, monkeypatch)


def small(at: AppTest, epochs: int = 2, samples: int = 400, hidden: str = "16") -> AppTest:
    at.slider(key="rp_epochs").set_value(epochs)
    at.number_input(key="rp_max_train").set_value(samples)
    at.text_input(key="rp_hidden").set_value(hidden)
    return at


def wait_until_finished(at: AppTest, timeout: float = 60.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if at.session_state["rp_job"].snapshot().finished:
            return at.run()  # one more run shows the final state
        time.sleep(0.3)
    raise AssertionError("training did not finish in time")


def training(snap) -> bool:
    """The worker reports a training batch (not only that it is loading the data)."""
    return snap.progress is not None and snap.progress.progress is not None


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_first_visit_explains_and_offers_training() -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert "ReL-PSP" in at.title[0].value
    assert any("No ReL-PSP runs yet" in i.value for i in at.info)
    assert at.button(key="rp_train") is not None


def test_train_with_comparison_saves_runs_and_draws_them(isolated: Path) -> None:
    at = small(AppTest.from_file(PAGE, default_timeout=60).run())
    at.checkbox(key="rp_compare").check()
    at.button(key="rp_train").click().run()
    at = wait_until_finished(at)
    assert not at.exception and not at.error
    assert any("Done" in s.value for s in at.success)
    runs = RunStore(isolated).list_runs("relpsp")
    assert sorted(r.config["psp"] for r in runs) == ["alpha", "relpsp"]
    relpsp = next(r for r in runs if r.config["psp"] == "relpsp")
    assert at.session_state["rp_run"] == relpsp.id
    assert metric(at, "Test accuracy") == f"{relpsp.metrics['test_accuracy']:.3f}"
    charts = at.get("plotly_chart")
    assert len(charts) == 6
    # The comparison overlays both kernels' dead-neuron curves.
    dead = next(c for c in charts if "Dead-neuron" in c.proto.spec)
    assert "ReL-PSP fc0" in dead.proto.spec and "alpha-PSP fc0" in dead.proto.spec
    at.slider(key="rp_sample").set_value(5).run()
    assert not at.exception
    assert any("test sample 5" in c.proto.spec for c in at.get("plotly_chart"))


def test_stop_keeps_what_was_learnt(isolated: Path) -> None:
    at = small(AppTest.from_file(PAGE, default_timeout=60).run(), epochs=60, samples=0,
               hidden="64")
    at.checkbox(key="rp_compare").uncheck()
    at.button(key="rp_train").click().run()
    deadline = time.monotonic() + 60
    while not training(at.session_state["rp_job"].snapshot()) and time.monotonic() < deadline:
        time.sleep(0.2)
    at.button(key="rp_stop").click().run()
    at = wait_until_finished(at)
    assert not at.exception
    assert at.session_state["rp_job"].snapshot().state == "stopped"
    assert any("Stopped" in s.value for s in at.success)
    (run,) = RunStore(isolated).list_runs("relpsp")
    assert run.metrics["stopped"] is True and run.metrics["epochs_done"] < 60


def test_missing_data_and_bad_settings_are_explained() -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input(key="rp_hidden").set_value("many").run()
    at.button(key="rp_train").click().run()
    assert not at.exception
    assert any("Hidden layers must be numbers" in e.value for e in at.error)
    at.text_input(key="rp_hidden").set_value("16").run()
    at.selectbox(key="rp_dataset").set_value("fashion-mnist").run()
    at.button(key="rp_train").click().run()
    at = wait_until_finished(at)
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Training failed" in errors and "give a local copy in *Data path*" in errors
    assert at.session_state["rp_job"].snapshot().state == "failed"


def test_a_visitor_is_not_told_to_give_a_local_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIKELAB_NETWORK", "1")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="rp_dataset").set_value("fashion-mnist").run()
    at.button(key="rp_train").click().run()
    errors = " ".join(e.value for e in wait_until_finished(at).error)
    assert not at.exception and "Training failed" in errors
    assert "switch on *Allow downloads* (data paths reach only" in errors
    assert "local copy" not in errors


def test_url_round_trips_the_configuration() -> None:
    def change(at: AppTest) -> None:
        at.selectbox(key="rp_arch").set_value("conv").run()
        at.text_input(key="rp_hidden").set_value("32").run()
        at.select_slider(key="rp_lr").set_value(3e-3).run()
        at.checkbox(key="rp_compare").check().run()  # opt-in: off by default
        at.number_input(key="rp_clip_grad").set_value(20.0).run()
        at.number_input(key="rp_augment").set_value(2).run()
        at.checkbox(key="rp_amsgrad").check().run()
        at.number_input(key="rp_time_penalty").set_value(0.005).run()
        at.number_input(key="rp_dropout").set_value(0.2).run()
        at.number_input(key="rp_margin").set_value(6.0).run()
        at.selectbox(key="rp_encoding").set_value("latency" if at.selectbox(
            key="rp_encoding").value != "latency" else "ttfs").run()

    keys = ["rp_arch", "rp_hidden", "rp_lr", "rp_compare", "rp_encoding", "rp_clip_grad",
            "rp_augment", "rp_amsgrad", "rp_time_penalty", "rp_dropout",
            "rp_margin"]
    again, query = roundtrip(PAGE, change, keys)
    assert query["arch"] == "conv" and query["compare"] == "1" and query["lr"] == "0.003"
    assert query["clip_grad"] == "20" and query["augment"] == "2"
    assert query["amsgrad"] == "1" and query["time_penalty"] == "0.005"
    assert query["dropout"] == "0.2" and query["margin"] == "6"
    assert "rp_job" not in again.session_state  # opening a link never starts training


def test_a_linked_run_opens_and_a_stale_one_is_noted(isolated: Path) -> None:
    at = small(AppTest.from_file(PAGE, default_timeout=60).run(), epochs=1, samples=200)
    at.checkbox(key="rp_compare").uncheck()
    at.button(key="rp_train").click().run()
    at = wait_until_finished(at)
    run_id = at.session_state["rp_run"]
    assert at.query_params["run"] == str(run_id)
    opened = fresh(PAGE, {"run": str(run_id), "sample": "3"})
    assert not opened.exception and opened.slider(key="rp_sample").value == 3
    stale = fresh(PAGE, {"run": "4242", "lr": "0.5", "sample": "100000"})
    assert not stale.exception
    assert "run 4242 is not a ReL-PSP run" in notices(stale) and "`lr`" in notices(stale)
    # The stale link's settings (the defaults) are not the stored run's: none is shown.
    assert stale.session_state["rp_run"] is None
    assert any("No stored run was trained with these settings" in i.value for i in stale.info)


def test_the_comparison_is_opt_in_with_its_time_stated() -> None:
    """Issue 25: alpha-PSP took 5 of the defaults' 5.5 minutes; it is off until asked for,
    and the page says what it adds before the click."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert at.checkbox(key="rp_compare").value is False
    text = " ".join(c.value for c in at.caption)
    assert f"adds {about('alpha-digits')}" in text and "opt-in" in text
    assert f"trains in {about('relpsp-digits')}" in text


def test_the_page_opens_on_the_run_of_its_settings_not_the_newest(isolated: Path) -> None:
    """Issue 25: the page opened on whatever ReL-PSP run was newest (a 20-epoch run while the
    sidebar said 5). It opens on the newest run trained with its settings, else on none."""
    mine = relpsp_run(isolated)  # 1 epoch, 200 samples, hidden 16
    relpsp_run(isolated, epochs=2)  # newer, another session's
    foreign = fresh(PAGE, {"epochs": "5"})
    assert not foreign.exception and foreign.session_state["rp_run"] is None
    assert any("No stored run was trained with these settings" in i.value
               for i in foreign.info)
    assert not foreign.metric and not foreign.get("plotly_chart")
    own = fresh(PAGE, {"epochs": "1", "max_train": "200", "hidden": "16"})
    assert not own.exception and own.session_state["rp_run"] == mine
    assert metric(own, "Test accuracy")


def test_a_training_run_is_shown_live_instead_of_an_older_one(isolated: Path) -> None:
    """Issue 25: while a run trains the page showed the previous run with no live view."""
    relpsp_run(isolated)
    at = small(AppTest.from_file(PAGE, default_timeout=60).run(), epochs=60, samples=400,
               hidden="16")
    at.button(key="rp_train").click().run()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        snap = at.session_state["rp_job"].snapshot()
        if training(snap) and snap.progress.progress.history:
            break
        time.sleep(0.2)
    at.run()
    assert "Epoch" in [m.label for m in at.metric]  # the training run's last epoch, live
    assert not [s for s in at.selectbox if s.key == "rp_run"]  # no stored run meanwhile
    at.button(key="rp_stop").click().run()
    at = wait_until_finished(at)
    assert not at.exception
    assert at.session_state["rp_run"] == at.session_state["rp_job"].snapshot().result[0]
