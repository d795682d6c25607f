"""The demo gallery: every link opens its page in the promised state (AppTest), and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.registry import PAGES
from core.demos import DEMOS, expectations, get_demo
from tests.url_roundtrip import fresh, notices

ROOT = Path(__file__).resolve().parents[1]
FILES = {p.url_path: str(p.path) for p in PAGES}


@pytest.fixture(scope="module")
def expected() -> dict:
    return expectations()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "cache"))


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_gallery_covers_every_page_with_at_least_ten_demos() -> None:
    assert len(DEMOS) >= 10
    assert {d.page for d in DEMOS} == set(FILES)
    assert len({d.id for d in DEMOS}) == len(DEMOS)
    assert all(d.title and d.look.endswith(".") for d in DEMOS)


@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.id)
def test_every_link_opens_its_page_as_given(demo) -> None:
    """Each query value is one the page accepts as it is (no notice), and nothing starts."""
    at = fresh(FILES[demo.page], demo.query, timeout=120)
    assert not at.exception
    assert notices(at) == ""
    published = {k: str(v) for k, v in dict(at.query_params).items()}
    assert published.items() <= demo.query.items()  # the link's defaults drop out
    assert not [k for k in at.session_state if k.endswith("job") and at.session_state[k]]


def test_computed_demos_show_the_expected_numbers(expected: dict) -> None:
    reset = fresh(FILES["neurons"], get_demo("reset").query)
    assert metric(reset, "Spikes (A)") == str(expected["reset"]["spikes_a"])
    assert metric(reset, "Spikes (B)") == str(expected["reset"]["spikes_b"])
    assert expected["reset"]["spikes_a"] > expected["reset"]["spikes_b"]
    fi = fresh(FILES["neurons"], get_demo("fi").query)
    rheobase = expected["fi"]["rheobase_a"]
    assert any(f"Rheobase of A on this input: {rheobase:.3f}" in c.value for c in fi.caption)
    assert expected["fi"]["rheobase_b"] < rheobase
    euler = fresh(FILES["neurons"], get_demo("euler").query)
    assert any("diverges" in w.value for w in euler.warning)
    gap = expected["euler"]["largest_gap_mv"]
    assert metric(euler, "Largest gap, Euler vs exact") == f"{gap:.3g} mV"
    alif = fresh(FILES["neurons"], get_demo("alif").query)
    assert metric(alif, "Spikes (A)") == str(expected["alif"]["spikes_a"])
    assert expected["alif"]["spikes_a"] < expected["alif"]["spikes_b"]
    ttfs = fresh(FILES["encoding"], get_demo("ttfs").query)
    assert metric(ttfs, "Events") == str(expected["ttfs"]["events"])
    assert expected["ttfs"]["brightest_fires_first"]
    hw = fresh(FILES["hardware"], get_demo("yoso-energy").query)
    assert metric(hw, "ANN / SNN") == f"{expected['yoso-energy']['ann_over_snn']:.3g}×"


def test_cli_lists_the_gallery() -> None:
    out = subprocess.run([sys.executable, "-m", "core", "demos", "--json", "--base",
                          "http://localhost:8501/"], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=120)
    demos = json.loads(out.stdout.strip().splitlines()[-1])["demos"]
    assert [d["id"] for d in demos] == [d.id for d in DEMOS]
    reset = demos[0]
    assert reset["url"].startswith("http://localhost:8501/neurons?")
    assert reset["expect"]["spikes_a"] > reset["expect"]["spikes_b"]
    assert all({"title", "page", "query", "look", "citation", "needs"} <= set(d) for d in demos)
    assert all(d["expect"] is None for d in demos if d["needs"])


def test_an_unknown_demo_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="No demo 'nope'"):
        get_demo("nope")
