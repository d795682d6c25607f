"""End to end: every demo link of the Home gallery, opened in headless Chromium, shows its state.

The numbers a computed demo must show come from ``core.demos.expectations`` (the engine), not
from the page. Screenshots of three demos are written to ``$SPIKELAB_SCREENSHOTS`` when set
(``docs/demos`` refreshes those of docs/demos.md), else to a temporary folder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.demos import DEMOS, expectations, get_demo

pytestmark = pytest.mark.e2e

TRACES = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
  .flatMap(p => (p._fullData || []).map(t => t.name))"""
# docs/demos.md's three, each the part of the page that shows the demo's point.
SHOTS = {"reset": '[data-testid="stTabs"]', "euler": '[data-testid="stTabs"]',
         "yoso-energy": '[data-testid="stHorizontalBlock"]'}


def until(check: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - an element not on screen yet
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text(timeout=1000).strip()


def traces(page) -> list[str]:
    return page.evaluate(TRACES)


def text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text(timeout=1000)


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.fixture(scope="module")
def expected() -> dict:
    return expectations()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("SPIKELAB_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def promised(page, demo_id: str, exp: dict) -> Callable[[], bool]:
    """A check that the open page shows what the demo promises."""
    e = exp.get(demo_id, {})
    checks: dict[str, Callable[[], bool]] = {
        "reset": lambda: {"U (A)", "U (B)"} <= set(traces(page))
        and metric(page, "Spikes (A)") == str(e["spikes_a"])
        and metric(page, "Spikes (B)").startswith(str(e["spikes_b"])),
        "fi": lambda: {"A", "B"} <= set(traces(page))
        and f"Rheobase of A on this input: {e['rheobase_a']:.3f}" in text(page)
        and metric(page, "Rheobase B (IF)") == f"{e['rheobase_b']:.3f}",
        "euler": lambda: {"exact", "forward Euler"} <= set(traces(page))
        and "diverges" in text(page)
        and metric(page, "Largest gap, Euler vs exact") == f"{e['largest_gap_mv']:.3g} mV",
        "relpsp-neuron": lambda: metric(page, "Alpha-PSP spike time") == "silent"
        and metric(page, "ReL-PSP spike time") == f"{e['relpsp_time']:.4g}",
        "alif": lambda: metric(page, "Spikes (A)") == str(e["spikes_a"])
        and metric(page, "Spikes (B)").startswith(str(e["spikes_b"])),
        "ttfs": lambda: "T(x)" in traces(page) and metric(page, "Events") == str(e["events"]),
        "yoso-energy": lambda: metric(page, "ANN / SNN") == f"{e['ann_over_snn']:.3g}×"
        and sum(name.startswith("YOSO") for name in traces(page)) >= 1,
        "train-digits": lambda: page.get_by_role("button", name="Start training").is_enabled()
        and "Nothing trains until you press" in text(page),
        "reg-cliff": lambda: page.get_by_role("button", name="Launch / resume the search")
        .is_visible() and "Study 'reg-cliff'" in text(page),
        "relpsp-dead": lambda: page.get_by_role("button", name="Train").first.is_visible()
        and "No ReL-PSP runs yet" in text(page),
        "relpsp-order": lambda: page.get_by_role("button", name="Train").first.is_visible()
        and "No ReL-PSP runs yet" in text(page),
        "nas-conditions": lambda: page.get_by_role("button", name="Start").first.is_enabled()
        and "Nothing trains until you press" in text(page),
        "nas-full-scale": lambda: page.get_by_role("button", name="Start").first.is_enabled()
        and "Nothing trains until you press" in text(page),
        "nas-energy-front": lambda: page.get_by_role("button", name="Start").first.is_enabled()
        and "Nothing trains until you press" in text(page),
        "playground-spirals": lambda: page.get_by_role("button", name="Play").is_visible()
        and metric(page, "Step") == "0" and len(traces(page)) >= 3,
        "bench-peers": lambda: page.get_by_role("button", name="Run the peers suite")
        .is_enabled() and "No peers result saved yet" in text(page),
    }
    return checks[demo_id]


def test_every_gallery_link_opens_the_promised_state(app_url: str, browser, expected: dict,
                                                     shots: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)  # the CPUs may be shared: be patient, not flaky
    page.goto(app_url)
    page.get_by_text("Demo gallery").first.wait_for(timeout=60_000)
    links = page.get_by_role("link", name="Open the demo")
    until(lambda: links.count() == len(DEMOS), 60, "the gallery's links")
    hrefs = {links.nth(i).get_attribute("href").split("/")[-1] for i in range(links.count())}
    assert hrefs == {d.url for d in DEMOS}
    assert "A (soft) fires" in text(page)  # the cards state what the pages show
    no_exception(page)
    for demo in DEMOS:
        page.goto(f"{app_url}/{demo.url}")
        until(promised(page, demo.id, expected), 60, f"the {demo.id!r} demo's state")
        no_exception(page)
        assert "From the link" not in text(page)
        assert f"Demo: {demo.title}." in text(page)  # the card, on top of its page
        if demo.id in SHOTS:
            page.wait_for_timeout(500)  # let the charts finish their first draw
            part = page.locator(SHOTS[demo.id]).first
            if demo.id == "yoso-energy":
                part = page.locator('[data-testid="stHorizontalBlock"]').filter(
                    has_text="Energy against spike rate").last
            part.screenshot(path=str(shots / f"{demo.id}.png"))
    page.close()


def test_a_chart_downloads_as_a_slide_sized_svg(app_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(f"{app_url}/{get_demo('euler').url}&fmt=svg")
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=60_000)
    plot.hover()
    button = page.locator('.modebar-btn[data-title^="Download plot"]').first
    with page.expect_download(timeout=30_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "spikelab_nd_euler_chart.svg"
    svg = Path(download.path()).read_text()
    assert svg.startswith("<svg") and 'width="1600"' in svg and 'height="900"' in svg
    assert "fmt=svg" in page.url  # the setting stays in the page's link
    page.close()


def test_presentation_mode_enlarges_the_chart_fonts(app_url: str, browser, expected: dict
                                                    ) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sizes = []
    for query in ("", "&present=1"):
        page.goto(f"{app_url}/{get_demo('reset').url}{query}")
        until(lambda: "U (A)" in traces(page), 60, "the membrane chart")
        sizes.append(page.evaluate(
            "() => document.querySelector('.js-plotly-plot')._fullLayout.font.size"))
    assert sizes[1] > sizes[0]
    assert "present=1" in page.url
    spikes = str(expected["reset"]["spikes_a"])
    until(lambda: metric(page, "Spikes (A)") == spikes, 30, "the metric in presentation mode")
    value = page.locator('[data-testid="stMetricValue"]').first
    assert value.is_visible() and float(value.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)")) >= 40
    page.close()
