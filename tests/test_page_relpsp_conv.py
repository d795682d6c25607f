"""AppTest of the ReL-PSP page's C-SNN controls (issue 24): conv layers, pooling, the bias
spike and the per-layer learning rates reach the training config, the C-SNN preset fills them,
they live in the link, and bad conv text is one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.relpsp.config import CSNN
from core.store import RunStore
from tests.support import isolate_store
from tests.test_page_relpsp import wait_until_finished
from tests.url_roundtrip import fresh, notices, roundtrip

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "relpsp.py")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_store(tmp_path, monkeypatch)


def text(at: AppTest) -> str:
    """Every caption, info and error line on the page."""
    return " ".join(e.value for e in [*at.caption, *at.info, *at.error])


def test_the_conv_controls_reach_the_stored_config(isolated: Path) -> None:
    at = fresh(PAGE)
    at.text_input(key="rp_conv").set_value(" 4C3P1 ")
    at.number_input(key="rp_pool").set_value(2)
    at.checkbox(key="rp_bias_spike").uncheck()
    at.selectbox(key="rp_lr_scaling").set_value("fan-in")
    at.text_input(key="rp_hidden").set_value("16")
    at.slider(key="rp_epochs").set_value(1)
    at.number_input(key="rp_max_train").set_value(200).run()
    at.button(key="rp_train").click().run()
    at = wait_until_finished(at, timeout=120)
    assert not at.exception and not at.error
    (run,) = RunStore(isolated).list_runs("relpsp")
    c = run.config
    assert (c["arch"], c["conv"], c["pool"]) == ("conv", "4c3p1", 2)  # typed conv: conv arch
    assert c["bias_spike"] is False and c["lr_scaling"] == "fan-in" and c["hidden"] == [16]
    assert "conv0" in run.history[-1]["layers"]  # the conv layer trained
    assert "conv 4c3p1" in at.selectbox(key="rp_run").format_func(run.id)


def test_the_preset_fills_the_csnn_and_says_what_it_takes() -> None:
    at = fresh(PAGE)
    assert at.button(key="rp_csnn").disabled  # 16c5,32c5 leaves no pixel of 8x8 digits
    at.selectbox(key="rp_dataset").set_value("mnist").run()
    at.number_input(key="rp_seed").set_value(7).run()
    at.button(key="rp_csnn").click().run()
    assert not at.exception and not at.error
    s = at.session_state
    assert (s["rp_arch"], s["rp_conv"], s["rp_pool"]) == ("conv", CSNN["conv"], CSNN["pool"])
    assert s["rp_hidden"] == ",".join(map(str, CSNN["hidden"]))
    assert (s["rp_bias_spike"], s["rp_lr_scaling"]) == (False, "fan-in")
    assert (s["rp_batch"], s["rp_lr"], s["rp_epochs"]) == (
        CSNN["batch_size"], CSNN["lr"], CSNN["epochs"])
    assert s["rp_seed"] == 7  # settings outside the preset stay
    # Before any click, the page says the full set takes minutes an epoch (not measured here).
    main = " ".join(c.value for c in at.main.caption)
    assert "Nothing trains until you press" in main
    assert "several minutes an epoch on 2 cores" in main
    assert at.query_params["conv"] == CSNN["conv"] and at.query_params["lr_scaling"] == "fan-in"


@pytest.mark.parametrize(("conv", "says"), [
    ("16x5", "is not <channels>c<kernel>"),
    ("9c9", "leaves no pixel of the 8x8 maps"),
    ("4c3," * 9, "At most 8 conv layers"),
])
def test_bad_conv_text_is_one_line(conv: str, says: str) -> None:
    at = fresh(PAGE)
    at.text_input(key="rp_conv").set_value(conv).run()
    at.button(key="rp_train").click().run()
    assert not at.exception
    (line,) = [e.value.replace("\\", "") for e in at.error]  # one line, Markdown-escaped
    assert says in line and "\n" not in line  # the config's own sentence
    assert "rp_job" not in at.session_state or at.session_state["rp_job"] is None


def test_the_conv_settings_round_trip_through_the_link() -> None:
    def change(at: AppTest) -> None:
        at.selectbox(key="rp_dataset").set_value("mnist").run()
        at.text_input(key="rp_conv").set_value("8c5,16c3p1").run()
        at.number_input(key="rp_pool").set_value(3).run()
        at.checkbox(key="rp_bias_spike").uncheck().run()
        at.selectbox(key="rp_lr_scaling").set_value("fan-in").run()

    keys = ["rp_dataset", "rp_conv", "rp_pool", "rp_bias_spike", "rp_lr_scaling"]
    again, query = roundtrip(PAGE, change, keys)
    assert query["conv"] == "8c5,16c3p1" and query["pool"] == "3"
    assert query["bias_spike"] == "0" and query["lr_scaling"] == "fan-in"
    assert again.text_input(key="rp_conv").value == "8c5,16c3p1"


def test_a_bad_conv_in_a_link_is_refused_with_a_note() -> None:
    at = fresh(PAGE, {"conv": "16x5", "pool": "99", "lr_scaling": "fast", "bias_spike": "x"})
    assert not at.exception
    said = notices(at)
    assert "`conv`" in said and "so the page uses none" in said
    assert "`pool=99` is out of range" in said and "`lr_scaling`" in said
    s = at.session_state
    assert (s["rp_conv"], s["rp_pool"], s["rp_lr_scaling"], s["rp_bias_spike"]) == (
        "", 8, "none", True)


def test_conv_controls_show_for_images_only_and_keep_their_values() -> None:
    at = fresh(PAGE)
    at.text_input(key="rp_conv").set_value("8c3").run()
    at.selectbox(key="rp_dataset").set_value("braille").run()
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "rp_conv"]
    assert not [b for b in at.button if b.key == "rp_csnn"]
    assert at.query_params["conv"] == "8c3"  # still in the link
    at.selectbox(key="rp_dataset").set_value("digits").run()
    assert at.text_input(key="rp_conv").value == "8c3"
