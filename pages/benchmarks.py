"""Benchmarks: SpikeLab's training step against the field's SNN libraries, how its time scales,
and issue 15's targets, from the last saved runs of ``python -m core bench``.

A result may come from an uploaded file and is shown to every later visitor: each string it
carries (CPU, names, reasons, file names, messages that quote it) is escaped (``app.text.md``)
before it reaches Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.charts import chart, csv_button, json_button
from app.figures.benchmarks import scaling_figure, step_time_figure
from app.job_view import JobPanel, Said, Start, job_panel
from app.page import run_page
from app.text import md
from app.url_state import Field, publish, restore, show_notes
from core.bench.curves import reference_exponents, scaling_curves, scaling_rows
from core.bench.results import (
    QUANTITY_LABELS,
    SavedResult,
    latest,
    parse_result,
    plan,
    run_plan,
    save_result,
)
from core.bench.verdicts import (
    missing_peers,
    peer_rows,
    speed_words,
    targets,
    verdicts,
    workload_note,
)
from core.demos import about
from core.jobs import Job, JobSnapshot
from core.limits import clip
from core.store import RunStore, default_db_path

P = "bn_"
JOB, SUITE = P + "job", P + "suite"
FIELDS = {"quick": Field(True), "memory": Field(True)}
# How long each run took here (2 shared cores, load 1-3; the last run's own time is shown
# with its result).
TAKES = {
    ("peers", True, False): about("bench-peers-quick"),
    ("peers", True, True): about("bench-peers-quick-memory") +
                           " (peak memory: 6 fresh processes)",
    ("peers", False, False): "about 3 minutes",
    ("peers", False, True): "about 4-5 minutes, peak memory included",
    ("scaling", True): "about 10 s",
    ("scaling", False): "about 20 s",
}
COLUMNS = {"median_s": "median s", "ratio": "ratio to SpikeLab fast", "peak_mb": "peak MB"}
TITLES = {"peers": "Run the peers suite", "scaling": "Run the scaling suite"}


def controls() -> None:
    """Draw the sidebar: the quick and peak-memory switches and what each run takes."""
    s = st.session_state
    with st.sidebar:
        st.header("Runs from this page")
        st.toggle("Quick (batch 64, 5 rounds)", key=P + "quick",
                  help="On: the full suite's SHD-shaped workload (700-200-20, T = 100), "
                       "warm-up and interleaved rounds at batch 64 only, 5 rounds: verdicts "
                       "at batch 64. Off: batch 256 and 64, 7 rounds each.")
        st.toggle("Peak memory (peers)", key=P + "memory",
                  help="Measure each implementation's peak memory in a fresh process.")
        quick, memory = bool(s[P + "quick"]), bool(s[P + "memory"])
        for suite, took in (("peers", TAKES["peers", quick, memory]),
                            ("scaling", TAKES["scaling", quick])):
            st.caption(f"{suite.capitalize()}: {took}. Same as "
                       f"`{plan(suite, quick, memory).command}`.")


def start(suite: str, db: str) -> Job:
    """Start ``suite`` with the sidebar's settings; its result is saved in the run store."""
    s = st.session_state
    s[SUITE] = suite
    return Job(run_plan, plan(suite, bool(s[P + "quick"]), bool(s[P + "memory"])), db,
               name=f"bench-{suite}")


def finished(snap: JobSnapshot) -> Said:
    """What became of the suite that ended (a failure is the panel's own line)."""
    suite = st.session_state.get(SUITE, "")
    if snap.result is None:
        return "info", f"The {suite} suite was stopped; nothing was saved."
    return "success", (f"The {suite} suite took {snap.seconds:.0f} s; its result is saved and "
                       "shown below.")


def suite_panel(db: str) -> None:
    """The two suites' start buttons, Stop, and the running suite's progress."""
    suite = st.session_state.get(SUITE, "")
    panel = JobPanel(JOB, P + "stop", failed=f"The {suite} suite failed",
                     label=f"{suite} suite")
    starts = [Start(TITLES[name], P + f"run_{name}", lambda name=name: start(name, db),
                    primary=name == "peers") for name in ("peers", "scaling")]
    job_panel(panel, starts, done=finished, widths=(2, 2, 1))


def upload(db: str) -> None:
    """A result file from the command line (another machine, an idle run), saved on load."""
    s = st.session_state
    file = st.file_uploader("Load a result saved by the command line (JSON)", type=["json"],
                            key=P + "file",
                            help="`python -m core bench --suite peers --json > peers.json`, "
                                 "or `--suite scaling`: measured elsewhere, shown here.")
    if file is None or s.get(P + "loaded") == file.file_id:
        return
    s[P + "loaded"] = file.file_id
    try:
        suite, result = parse_result(file.getvalue())
        save_result(RunStore(db), result, {"from": f"the file {file.name}"})
    except ValueError as exc:
        st.error(md(f"{file.name}: {exc}", 600))
        return
    s[P + "message"] = ("success", f"{md(file.name)}: a {suite} result, saved and shown below.")
    st.rerun()


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


def code(text: object) -> str:
    """``text`` as a Markdown code span, which shows it literally (no backtick can end it)."""
    return "`" + clip(text).replace("\n", " ").replace("`", "'") + "`"


def targets_view(result: dict) -> None:
    """Who was fastest at each batch and issue 15's targets, met or not; a smoke run (tiny
    sizes or too few rounds) says so and gives no verdict."""
    note = workload_note(result)
    if note:
        st.warning(md(note, 600), icon=":material/science:")
        st.markdown("**Targets (issue 15): no verdict.** A smoke run only checks that every "
                    "implementation runs; its times compare nothing. Run the quick suite (the "
                    "SHD shape at batch 64) or the full one for verdicts.")
        return
    for line in verdicts(result):
        st.markdown(f"**{md(line, 600)}**")
    rows = [{"target": t.goal, "batch": t.batch,
             "measured": None if t.measured is None else (
                 f"SpikeLab fast {speed_words(t.measured)}" if t.threshold > 1 else
                 f"{t.measured:.2f} of the floor"),
             "against": t.against, "verdict": t.verdict} for t in targets(result)]
    met = sum(t["verdict"] == "met" for t in rows)
    st.markdown(f"**Targets (issue 15):** {met} of {len(rows)} met. Ratios are a peer's step "
                "time over SpikeLab fast's; the floor is the step's dense matrix multiplies "
                "alone.")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=P + "targets")


PEER_LIBRARIES = ("norse", "spikingjelly")


def missing_view(result: dict) -> None:
    """The implementations that could not run, and how to add the peer libraries."""
    missing = missing_peers(result)
    for name, reason in missing.items():
        st.warning(f"Missing: **{md(name)}** ({md(reason)}).")
    if any(name in PEER_LIBRARIES for name in missing):
        st.info("Norse and SpikingJelly are not part of `make run`'s install. Add them with "
                "`make peers` (that is `.venv/bin/pip install --no-deps -r "
                "requirements-peers.txt`: without their dependencies, so torch stays 2.13.0), "
                "then press **Run the peers suite** again; the app need not restart.",
                icon=":material/extension:")


def nothing_saved(suite: str) -> None:
    """What to press (or run) when no result of ``suite`` is saved yet."""
    st.info(f"No {suite} result saved yet: press **{TITLES[suite]}** above, or run "
            f"`python -m core bench --suite {suite} --json > {suite}.json` and load the file "
            "below.")


def peers_view(saved: SavedResult | None) -> None:
    """Draw the last peers result: targets, step times, table, missing peers, loss check."""
    st.header("SpikeLab against the peers")
    if saved is None:
        nothing_saved("peers")
        return
    result = saved.result
    st.caption(provenance(saved))
    targets_view(result)
    rows = peer_rows(result)
    chart(step_time_figure(rows), P + "peers_fig")
    table = pd.DataFrame(rows).drop(columns="name").rename(columns=COLUMNS)
    table.insert(4, "SpikeLab fast is", [
        "" if r["name"] == "spikelab_fast" else speed_words(r["ratio"]) for r in rows])
    if table["peak MB"].isna().all():
        table = table.drop(columns="peak MB")
        st.caption("Peak memory was not measured in this run (*Peak memory* off, or "
                   "`--no-memory`).")
    st.dataframe(table, hide_index=True, key=P + "peers_table", height=35 * (len(table) + 1) + 3,
                 column_config={"median s": st.column_config.NumberColumn(format="%.4f"),
                                COLUMNS["ratio"]: st.column_config.NumberColumn(format="%.2f×"),
                                "peak MB": st.column_config.NumberColumn(format="%.0f")})
    missing_view(result)
    check = result.get("loss_check") or {}
    agree = [c.get("agree") for c in check.values() if isinstance(c, dict)]
    if agree and all(agree):
        st.caption("The implementations of identical maths agree on the step-1 loss at every "
                   "batch, so they trained the same network.")
    elif any(a is False for a in agree):
        st.warning("The implementations of identical maths disagree on the step-1 loss.")
    c1, c2 = st.columns(2)
    csv_button(table, "bench_peers", P + "peers_csv", c1, label="Download table (CSV)")
    json_button(result, "bench_peers", P + "peers_json", c2, label="Download result (JSON)")


def scaling_view(saved: SavedResult | None) -> None:
    """Draw the last scaling result: exponents, the figure and its downloads."""
    st.header("How the fast engine's step time scales")
    if saved is None:
        nothing_saved("scaling")
        return
    st.caption(provenance(saved))
    note = workload_note(saved.result)
    if note:
        st.caption(md(note, 600))
    curves = scaling_curves(saved.result)
    st.markdown("Exponents k of time ~ value^k: " + ", ".join(
        f"**{md(c.label)}** {c.exponent:.2f}" for c in curves) + " (1: linear).")
    reference = reference_exponents(saved.result)
    if reference:
        st.caption("The reference engine (the one time loop every neuron model trains through): "
                   + ", ".join(f"k = {k:.2f} in {md(QUANTITY_LABELS.get(q, q))}"
                               for q, k in reference.items()) + ".")
    chart(scaling_figure(curves), P + "scaling_fig")
    table = pd.DataFrame(scaling_rows(curves))
    c1, c2 = st.columns(2)
    csv_button(table, "bench_scaling", P + "scaling_csv", c1, label="Download points (CSV)")
    json_button(saved.result, "bench_scaling", P + "scaling_json", c2,
                label="Download result (JSON)")


def show(db: str, suite: str) -> None:
    """The last saved result of ``suite``, or why it cannot be shown."""
    try:
        saved = latest(RunStore(db), suite)
    except ValueError as exc:
        st.error(f"{md(exc, 600)} Run the suite again, or point SPIKELAB_DB at another "
                 "database.")
        return
    (peers_view if suite == "peers" else scaling_view)(saved)


def main() -> None:
    """Draw the benchmarks page: the suites' job, the saved results and the upload."""
    st.title("Benchmarks")
    st.caption("One training step of the SpyTorch SHD network (forward, backward, Adam) timed "
               "side by side in SpikeLab, snnTorch, Norse, SpikingJelly and plain PyTorch, and "
               "how SpikeLab's step time grows with T, hidden size, batch and input density. "
               "The page shows the last saved runs; timings depend on the machine and its load.")
    s = st.session_state
    restore(P, FIELDS, notice=False)
    notices = st.container()
    db = str(default_db_path())
    controls()
    if P + "message" in s:  # a result file just loaded (``upload``)
        kind, text = s.pop(P + "message")
        getattr(st, kind)(text)
    suite_panel(db)
    show(db, "peers")
    show(db, "scaling")
    st.header("Results measured elsewhere")
    upload(db)
    publish(P, FIELDS)
    with notices:
        show_notes()


run_page(main)
