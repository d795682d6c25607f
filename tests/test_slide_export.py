"""Slides: every chart's PNG/SVG export shows whole tick labels, titles and legends, in both
modes, and presentation mode enlarges text on the page (issue 25, item 2).

Every figure builder of ``app/figures`` (``tests.slide_figures``; a new builder must be added
there) goes through ``app.charts.slide_ready`` as ``chart`` sends it, and Plotly.js renders its
camera-button export at the slide size in headless Chromium; the text boxes of the SVG are
compared with its canvas. A real app's download is checked the same way.
"""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from app.charts import PRESENT_FONT, SLIDE_HEIGHT, SLIDE_MARGIN, SLIDE_WIDTH, enlarge, slide_ready
from tests.slide_check import clipped, export_svg, load_plotly
from tests.slide_figures import builders, catalog


def axes(fig: go.Figure) -> list:
    return [fig.layout[name] for name in fig.layout if name.startswith(("xaxis", "yaxis"))]


def pages(browser) -> tuple:
    """A page like the app's (Streamlit's web font) to export in, and a viewer without it."""
    size = {"width": SLIDE_WIDTH + 100, "height": SLIDE_HEIGHT + 100}
    page, viewer = browser.new_page(viewport=size), browser.new_page(viewport=size)
    load_plotly(page)
    load_plotly(viewer, web_font=False)
    return page, viewer


def test_every_figure_builder_is_in_the_catalog() -> None:
    assert builders() == sorted(catalog())


def test_slide_ready_gives_every_axis_automargin_and_room_beside_the_plot() -> None:
    for name, build in catalog().items():
        fig = slide_ready(go.Figure(build()))
        assert all(axis.automargin for axis in axes(fig)), name
        assert fig.layout.margin.l >= SLIDE_MARGIN["l"] and fig.layout.margin.r >= \
            SLIDE_MARGIN["r"], name
        assert fig.layout.margin.autoexpand is not False, name


def test_presentation_mode_enlarges_ticks_and_axis_titles_of_every_axis() -> None:
    for name, build in catalog().items():
        fig = enlarge(build())
        for axis in axes(fig):
            assert axis.tickfont.size == PRESENT_FONT and axis.title.font.size == PRESENT_FONT, \
                name


@pytest.mark.e2e
def test_every_chart_export_shows_whole_labels_and_legends(browser) -> None:
    page, viewer = pages(browser)
    problems = []
    for name, build in catalog().items():
        for mode, fig in (("plain", go.Figure(build())), ("presenting", enlarge(build()))):
            svg = export_svg(page, slide_ready(fig), SLIDE_WIDTH, SLIDE_HEIGHT)
            assert f'width="{SLIDE_WIDTH}"' in svg, name
            problems += [f"{name} ({mode}): {p}" for p in clipped(viewer, svg)]
    assert not problems, "\n".join(problems)


@pytest.mark.e2e
def test_the_figures_as_streamlit_themes_them_clipped_without_slide_ready(browser) -> None:
    """The check sees the defect it guards against: sized by the app's web font, a figure's
    tick labels and legend overflow in a viewer's wider fallback font (Streamlit's theme, no
    ``slide_ready``)."""
    page, viewer = pages(browser)
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0.15, 100000.15], name=f"spikes ({side})")
                     for side in "AB"]).update_layout(legend_orientation="h", font_size=20)
    found = clipped(viewer, export_svg(page, fig, SLIDE_WIDTH, SLIDE_HEIGHT))
    assert any("100k" in p or "0.15" in p or "legend" in p for p in found), found


# The deepest element holding a metric's value: the text the audience reads.
VALUE_SIZE = """e => { let x = e; while (x.firstElementChild) x = x.firstElementChild;
  return parseFloat(getComputedStyle(x).fontSize); }"""
# Pairs of a slider's value label and its thumb that overlap.
THUMB_OVERLAPS = """() => Array.from(document.querySelectorAll('[data-testid="stSlider"]'))
  .filter(s => { const v = s.querySelector('[data-testid="stSliderThumbValue"]');
    const t = s.querySelector('[role="slider"]'); if (!v || !t) return false;
    const a = v.getBoundingClientRect(), b = t.getBoundingClientRect();
    return a.bottom > b.top + 1 && a.top < b.bottom - 1 && a.right > b.left && a.left < b.right;
  }).length"""


@pytest.mark.e2e
def test_presentation_mode_in_the_app_enlarges_values_and_its_slide_keeps_labels(
        app_url: str, browser) -> None:
    from core.demos import get_demo
    from tests.test_e2e_gallery import metric, traces, until

    page = browser.new_page(viewport={"width": 1600, "height": 900})
    page.goto(f"{app_url}/{get_demo('reset').url}&present=1&fmt=svg")
    until(lambda: "U (A)" in traces(page) and metric(page, "Spikes (A)") != "", 60, "the chart")
    value = page.locator('[data-testid="stMetricValue"]').first
    assert value.evaluate(VALUE_SIZE) >= 40  # 3rem, not the body text's size
    assert page.evaluate(THUMB_OVERLAPS) == 0
    ticks = page.evaluate("() => document.querySelector('.js-plotly-plot')"
                          "._fullLayout.yaxis.tickfont.size")
    assert ticks == PRESENT_FONT
    plot = page.locator(".js-plotly-plot").first
    plot.hover()
    with page.expect_download(timeout=30_000) as info:
        page.locator('.modebar-btn[data-title^="Download plot"]').first.click()
    svg = open(info.value.path(), encoding="utf-8").read()
    load_plotly(page, web_font=False)  # a viewer of the file, without the app's web font
    assert not clipped(page, svg)
    page.close()
