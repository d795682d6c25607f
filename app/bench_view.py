"""Pieces every suite's section of the Benchmarks page draws: where a result was measured, its
targets table and the peers it misses. A result may come from an uploaded file: each string it
carries is escaped (``app.text.md``) before it reaches Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.text import md
from core.bench.results import SavedResult
from core.bench.verdicts import Target, missing_peers, speed_words
from core.limits import clip

PEER_LIBRARIES = ("norse", "spikingjelly")


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
