"""README.md stays a five-minute read and every link of it and of docs/ leads somewhere.

The README keeps the two set-up commands CI runs (`.ci/run` calls `make test`) and stays within
150 lines; the rest lives in docs/. Relative links must name an existing file and, for a
Markdown file, a heading that exists there (GitHub's anchor rule), so moving a section cannot
leave a dead link behind.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of every heading of ``page`` outside code blocks."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {anchor(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}


def links(page: Path) -> list[str]:
    """The link targets of ``page`` outside code blocks."""
    return LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8")))


def test_the_readme_is_short_and_keeps_the_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    blocks = FENCE.findall(text)
    assert "```sh\nmake run\n```" in blocks
    assert "```sh\nmake test\n```" in blocks
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_relative_link_leads_to_a_file_and_heading(page: Path) -> None:
    dead = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue  # http(s) and other schemes: not checked offline
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            dead.append(target)
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            dead.append(target)
    assert not dead, f"dead links in {page.name}: {dead}"


def test_the_anchor_rule_matches_githubs() -> None:
    assert anchor("ReL-PSP / STDBP") == "rel-psp--stdbp"
    assert anchor("The app's responsiveness") == "the-apps-responsiveness"
    assert anchor("Conv SNNs at full scale (issue 23)") == "conv-snns-at-full-scale-issue-23"


def quoted_figures(page: Path) -> dict[str, list[str]]:
    """Per demo card linked from ``page`` (``demo=ID``), the spike counts and ratios its
    paragraph quotes ("fires 165 spikes", "2.39× less")."""
    paragraphs = re.split(r"\n(?=- \[)|\n\n", FENCE.sub("", page.read_text(encoding="utf-8")))
    found: dict[str, list[str]] = {}
    for text in paragraphs:
        for card in re.findall(r"[?&]demo=([\w-]+)", text):
            found[card] = re.findall(r"(\d+(?:\.\d+)?)(?:×| spikes)", text)
    return found


@pytest.mark.parametrize("page", [README, ROOT / "docs" / "demos.md"], ids=lambda p: p.name)
def test_the_demo_figures_quoted_in_the_docs_are_the_computed_ones(page: Path) -> None:
    from core.demos import gallery

    promises = {card["id"]: card["promise"] or "" for card in gallery()}
    quoted = quoted_figures(page)
    assert quoted, f"{page.name} links no demo card"
    for card, figures in quoted.items():
        computed = re.findall(r"\d+(?:\.\d+)?", promises[card])
        stale = [f for f in figures if f not in computed]
        assert not stale, f"{page.name}: {card!r} quotes {stale}; it computes {promises[card]!r}"
