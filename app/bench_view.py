"""Pieces every suite's section of the Benchmarks page draws: its header and where a result
was measured, its targets, its step-time table, the peers it misses and its downloads; and the
one view of a timed suite (peers, conv), driven by a ``TimingView`` that says what differs. A
result may come from an uploaded file: each string it carries is escaped (``app.text.md``)
before it reaches Markdown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from app.charts import chart, csv_button, json_button
from app.text import md
from core.bench.results import SavedResult
from core.bench.verdicts import Target, missing_peers, speed_words
from core.limits import clip

P = "bn_"  # the Benchmarks page's widget keys
PEER_LIBRARIES = ("norse", "spikingjelly")


@dataclass(frozen=True)
class Verdicts:
    """How a suite judges its targets: ``note`` says why a result gives no verdict (a smoke
    run), ``no_verdict`` what to run instead; ``lines`` the bold findings, ``targets`` the
    targets met or not, measured on ``who``'s side, set by ``issue``, ``explain`` after them,
    in the table keyed ``key``."""

    note: Callable[[dict], str | None]
    no_verdict: str
    lines: Callable[[dict], Sequence[str]]
    targets: Callable[[dict], list[Target]]
    who: str
    issue: str
    explain: str
    key: str


@dataclass(frozen=True)
class TimingView:
    """What one timed suite's section shows: its ``suite`` name, ``title``, start ``button``,
    ``verdicts``, table ``rows`` and their ``figure``; the row keys ``hidden`` from the table
    and the ``columns`` renamed; SpikeLab's comparison column (``spikelab``: its row's name,
    the column's title and place) and the number ``formats``; ``tidy`` (the table, trimmed,
    with what it says) and ``losses`` (the step-1 loss check)."""

    suite: str
    title: str
    button: str
    verdicts: Verdicts
    rows: Callable[[dict], list[dict]]
    figure: Callable[[list[dict]], Any]
    hidden: tuple[str, ...]
    columns: dict[str, str]
    spikelab: tuple[str, str, int]
    formats: dict[str, str]
    losses: Callable[[dict], None]
    tidy: Callable[[pd.DataFrame], pd.DataFrame] = lambda table: table


def timing_view(view: TimingView, saved: SavedResult | None) -> None:
    """Draw a timed suite's last result: targets, step times, table, missing peers, losses."""
    result = opened(view.suite, view.title, view.button, saved)
    if result is None:
        return
    targets_view(view.verdicts, result)
    rows = view.rows(result)
    chart(view.figure(rows), f"{P}{view.suite}_fig")
    table = pd.DataFrame(rows).drop(columns=list(view.hidden)).rename(columns=view.columns)
    table = view.tidy(table)
    timing_table(table, rows, view.suite, view.spikelab, view.formats)
    missing_view(result, view.button)
    view.losses(result)
    downloads(view.suite, table, result)


def targets_view(verdicts: Verdicts, result: dict) -> None:
    """Draw the findings and the targets, met or not; a smoke run (tiny sizes or too few
    rounds) says so and gives no verdict."""
    note = verdicts.note(result)
    if note:
        st.warning(md(note, 600), icon=":material/science:")
        st.markdown(f"**Targets ({verdicts.issue}): no verdict.** {verdicts.no_verdict}")
        return
    for line in verdicts.lines(result):
        st.markdown(f"**{md(line, 600)}**")
    target_table(verdicts.targets(result), verdicts.who, verdicts.issue, verdicts.explain,
                 verdicts.key)


def agreement(result: dict, agree: str, disagree: str) -> None:
    """Draw whether the step-1 losses the result checked agree (``agree``, a caption) or
    not (``disagree``, a warning); nothing when none was checked."""
    checks = [c for c in (result.get("loss_check") or {}).values() if isinstance(c, dict)]
    said = [c.get("agree") for c in checks]
    if said and all(a is True for a in said):
        st.caption(agree)
    elif any(a is False for a in said):
        st.warning(disagree)


def opened(suite: str, title: str, button: str, saved: SavedResult | None) -> dict | None:
    """Draw a suite's header and where its result was measured; the result, or None (having
    said what to press, ``button``, or run) when none is saved."""
    st.header(title)
    if saved is None:
        st.info(f"No {suite} result saved yet: press **{button}** above, or run "
                f"`python -m core bench --suite {suite} --json > {suite}.json` and load the "
                "file below.")
        return None
    st.caption(provenance(saved))
    return saved.result


def downloads(suite: str, table: pd.DataFrame, result: dict, what: str = "table") -> None:
    """Draw the two download buttons of a suite: its table as CSV, its result as JSON."""
    c1, c2 = st.columns(2)
    csv_button(table, f"bench_{suite}", f"{P}{suite}_csv", c1, label=f"Download {what} (CSV)")
    json_button(result, f"bench_{suite}", f"{P}{suite}_json", c2,
                label="Download result (JSON)")


def timing_table(table: pd.DataFrame, rows: list[dict], suite: str,
                 spikelab: tuple[str, str, int], formats: dict[str, str]) -> None:
    """Draw a suite's table of step times, with a column saying how SpikeLab compares with
    each row (``spikelab``: its row's name, the column's title and place); ``formats``: each
    number column's format. The column is added to ``table`` (its CSV has it too)."""
    name, title, at = spikelab
    table.insert(at, title, ["" if r["name"] == name else speed_words(r["ratio"]) for r in rows])
    st.dataframe(table, hide_index=True, key=f"{P}{suite}_table",
                 height=35 * (len(table) + 1) + 3,
                 column_config={column: st.column_config.NumberColumn(format=shape)
                                for column, shape in formats.items()})


def code(text: object) -> str:
    """``text`` as a Markdown code span, which shows it literally (no backtick can end it)."""
    return "`" + clip(text).replace("\n", " ").replace("`", "'") + "`"


def provenance(saved: SavedResult) -> str:
    """Where and when a result was measured, in one caption."""
    r, src = saved.result, saved.source
    parts = [f"Measured on **{md(saved.cpu)}**"]
    if r.get("cores"):
        parts.append(f"{md(r['cores'])} cores, {md(r.get('threads', '?'))} torch threads")
    load = (r.get("load_average") or {}).get("before")
    if isinstance(load, list) and load and isinstance(load[0], int | float):
        parts.append(f"load {load[0]:.1f} before")
    parts.append(f"saved {md(saved.created[:16].replace('T', ' '))} UTC")
    revision = src.get("revision") or r.get("revision")
    parts.append(f"SpikeLab {md(revision)}" if revision else "SpikeLab revision not recorded")
    if isinstance(src.get("seconds"), int | float):
        parts.append(f"took {src['seconds']:.0f} s")
    text = ", ".join(parts) + "."
    if src.get("command"):
        text += f" Command: {code(src['command'])}."
    elif src.get("from"):
        text += f" From {md(src['from'])}."
    return text


def target_table(found: list[Target], who: str, issue: str, explain: str, key: str) -> None:
    """``found``'s count met in one bold line with ``explain`` after it, then the table of
    each target at each batch: what ``who`` (the SpikeLab side) measured and the verdict."""
    rows = [{"target": t.goal, "batch": t.batch,
             "measured": None if t.measured is None else (
                 f"{who} {speed_words(t.measured)}" if t.threshold > 1 else
                 f"{t.measured:.2f} of the floor"),
             "against": t.against, "verdict": t.verdict} for t in found]
    met = sum(t["verdict"] == "met" for t in rows)
    st.markdown(f"**Targets ({issue}):** {met} of {len(rows)} met. {explain}")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=key)


def missing_view(result: dict, button: str) -> None:
    """The implementations that could not run, and how to add the peer libraries (then press
    ``button`` again)."""
    missing = missing_peers(result)
    for name, reason in missing.items():
        st.warning(f"Missing: **{md(name)}** ({md(reason)}).")
    if any(name in PEER_LIBRARIES for name in missing):
        st.info("Norse and SpikingJelly are not part of `make run`'s install. Add them with "
                "`make peers` (that is `.venv/bin/pip install --no-deps -r "
                "requirements-peers.txt`: without their dependencies, so torch stays 2.13.0), "
                f"then press **{button}** again; the app need not restart.",
                icon=":material/extension:")
