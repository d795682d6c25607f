"""Benchmarks: SpikeLab's training step against the field's SNN libraries (the SHD network and
a 4-layer conv SNN), how its time scales, and issues 15's and 23's targets, from the last saved
runs of ``python -m core bench``.

A result may come from an uploaded file and is shown to every later visitor: each string it
carries (CPU, names, reasons, file names, messages that quote it) is escaped (``app.text.md``)
before it reaches Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.bench_view import (
    P,
    TimingView,
    Verdicts,
    agreement,
    downloads,
    opened,
    timing_view,
)
from app.charts import chart
from app.figures.benchmarks import conv_figure, scaling_figure, step_time_figure
from app.job_view import JobPanel, Said, Start, job_panel
from app.page import run_page
from app.text import md
from app.url_state import Field, publish, restore, show_notes
from core.bench.conv_verdicts import QUICK_WALL_S, conv_note, conv_rows, conv_takes, conv_targets
from core.bench.curves import reference_exponents, scaling_curves, scaling_rows
from core.bench.results import (
    MAX_CONV_REPEATS,
    QUANTITY_LABELS,
    Plan,
    SavedResult,
    conv_plan,
    latest,
    parse_result,
    plan,
    run_plan,
    save_result,
)
from core.bench.verdicts import peer_rows, targets, verdicts, workload_note
from core.demos import about, words
from core.jobs import Job, JobSnapshot
from core.store import RunStore, default_db_path

JOB, SUITE = P + "job", P + "suite"
CONV_BATCHES = (128, 64, 32, 16)
FIELDS = {"quick": Field(True), "memory": Field(True), "conv_quick": Field(False),
          "conv_batches": Field([128, 64], many=True, kind=int, choices=CONV_BATCHES),
          "conv_repeats": Field(5, 1, MAX_CONV_REPEATS)}
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
TITLES = {"peers": "Run the peers suite", "scaling": "Run the scaling suite",
          "conv": "Run the conv suite"}
CONV_COLUMNS = {"step_ms": "step ms", "ratio": "ratio to SpikeLab", "step1_loss": "step-1 loss"}


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


def the_conv_plan() -> Plan:
    """The conv suite's plan from the sidebar (ValueError: no batch picked)."""
    s = st.session_state
    return conv_plan(bool(s[P + "conv_quick"]), s[P + "conv_batches"], int(s[P + "conv_repeats"]))


def conv_takes_line(saved: SavedResult | None) -> str:
    """How long the conv suite with the sidebar's settings takes, from measured times."""
    try:
        plan_ = the_conv_plan()
    except ValueError as exc:
        return md(exc)
    same = saved is not None and saved.source.get("command") == plan_.command
    last = saved.source.get("seconds") if same and saved else None
    if isinstance(last, int | float):
        return f"Conv: its last run here took {last:.0f} s. Same as `{plan_.command}`."
    if st.session_state[P + "conv_quick"]:
        return (f"Conv smoke run (tiny sizes, one round, no verdict): {QUICK_WALL_S} s measured "
                f"on 2 busy cores. Same as `{plan_.command}`.")
    takes = conv_takes(plan_.batches, plan_.repeats, plan_.warmup,
                       saved.result if saved else None)
    if takes.seconds is None:
        return (f"Conv: batch {', '.join(map(str, takes.untimed))} has not been timed here, so "
                f"no time can be said before a run. Same as `{plan_.command}`.")
    rounds = ", ".join(f"{s:.1f} s at batch {b}" for b, s in takes.per_round.items())
    return (f"Conv: {words(takes.seconds)} of timed steps ({plan_.warmup} warm-up calls and "
            f"{plan_.repeats} rounds, a round being {rounds}, from {takes.basis}), plus building "
            f"the networks. Same as `{plan_.command}`.")


def conv_controls(saved: SavedResult | None) -> None:
    """The conv suite's settings (smoke run, batch sizes, rounds) and how long it takes."""
    s = st.session_state
    s[P + "conv_batches"] = list(dict.fromkeys(s[P + "conv_batches"]))  # a link may repeat one
    st.subheader("Conv suite")
    quick = st.toggle("Smoke run (batch 8 and 4, T = 2, one round)", key=P + "conv_quick",
                      help="Checks that every network builds and steps; its times compare "
                           "nothing, so it gives no verdict on the targets.")
    st.multiselect("Batch sizes", CONV_BATCHES, key=P + "conv_batches", disabled=quick,
                   help="Issue 23 sets its targets at batch 128 and 64.")
    st.number_input("Rounds", 1, MAX_CONV_REPEATS, key=P + "conv_repeats", disabled=quick,
                    help="Timed rounds after 2 warm-up calls; each time is the median of its "
                         "rounds (at least 3 for a verdict).")
    st.caption(conv_takes_line(saved))


def start(suite: str, db: str) -> Job:
    """Start ``suite`` with the sidebar's settings; its result is saved in the run store."""
    s = st.session_state
    chosen = the_conv_plan() if suite == "conv" else plan(suite, bool(s[P + "quick"]),
                                                          bool(s[P + "memory"]))
    s[SUITE] = suite
    return Job(run_plan, chosen, db, name=f"bench-{suite}")


def finished(snap: JobSnapshot) -> Said:
    """What became of the suite that ended (a failure is the panel's own line)."""
    suite = st.session_state.get(SUITE, "")
    if snap.result is None:
        return "info", f"The {suite} suite was stopped; nothing was saved."
    return "success", (f"The {suite} suite took {snap.seconds:.0f} s; its result is saved and "
                       "shown below.")


def suite_panel(db: str) -> None:
    """The suites' start buttons, Stop, and the running suite's progress."""
    suite = st.session_state.get(SUITE, "")
    panel = JobPanel(JOB, P + "stop", failed=f"The {suite} suite failed",
                     label=f"{suite} suite")
    starts = [Start(TITLES[name], P + f"run_{name}", lambda name=name: start(name, db),
                    primary=name == "peers") for name in ("peers", "conv", "scaling")]
    job_panel(panel, starts, done=finished, widths=(2, 2, 2, 1))


def upload(db: str) -> None:
    """A result file from the command line (another machine, an idle run), saved on load."""
    s = st.session_state
    file = st.file_uploader("Load a result saved by the command line (JSON)", type=["json"],
                            key=P + "file",
                            help="`python -m core bench --suite peers --json > peers.json`, "
                                 "`--suite conv` or `--suite scaling`: measured elsewhere, "
                                 "shown here.")
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


def peers_memory(table: pd.DataFrame) -> pd.DataFrame:
    """The peers table without its peak-memory column when none was measured (saying so)."""
    if not table["peak MB"].isna().all():
        return table
    st.caption("Peak memory was not measured in this run (*Peak memory* off, or "
               "`--no-memory`).")
    return table.drop(columns="peak MB")


def peers_losses(result: dict) -> None:
    """Draw whether the implementations of identical maths agree on the step-1 loss."""
    agreement(result, "The implementations of identical maths agree on the step-1 loss at "
              "every batch, so they trained the same network.",
              "The implementations of identical maths disagree on the step-1 loss.")


def conv_losses(result: dict) -> None:
    """Draw whether SpikeLab's fast path agrees with its float32 reference at step 1, and what
    the peers' neurons do differently (so their step-1 losses differ)."""
    agreement(result, "SpikeLab's fast path agrees with its float32 reference on the step-1 "
              "loss at every batch, so they trained the same network.",
              "SpikeLab's fast path disagrees with its float32 reference on the step-1 loss.")
    notes = result.get("notes") or {}
    if isinstance(notes, dict) and notes:
        st.caption("The peers' step-1 losses differ where their neurons do: " + "; ".join(
            f"{md(name)}: {md(text, 300)}" for name, text in notes.items()) + ".")


# The two timed suites' sections: one view (``app.bench_view.timing_view``), these differences.
PEERS = TimingView(
    suite="peers", title="SpikeLab against the peers", button=TITLES["peers"],
    verdicts=Verdicts(
        note=workload_note, lines=verdicts, targets=targets, who="SpikeLab fast",
        issue="issue 15", key=P + "targets",
        no_verdict="A smoke run only checks that every implementation runs; its times compare "
                   "nothing. Run the quick suite (the SHD shape at batch 64) or the full one "
                   "for verdicts.",
        explain="Ratios are a peer's step time over SpikeLab fast's; the floor is the step's "
                "dense matrix multiplies alone."),
    rows=peer_rows, figure=step_time_figure, hidden=("name",), columns=COLUMNS,
    spikelab=("spikelab_fast", "SpikeLab fast is", 4),
    formats={"median s": "%.4f", COLUMNS["ratio"]: "%.2f×", "peak MB": "%.0f"},
    losses=peers_losses, tidy=peers_memory)
CONV = TimingView(
    suite="conv", title="A conv SNN's training step against the peers", button=TITLES["conv"],
    verdicts=Verdicts(
        note=conv_note, lines=lambda result: (), targets=conv_targets, who="SpikeLab",
        issue="issue 23", key=P + "conv_targets",
        no_verdict="Run the full suite (T = 4, batch 128 or 64, at least 3 rounds) for "
                   "verdicts.",
        explain="≥ 2.5× the fastest peer tutorial-built, ≥ 1.3× the fastest peer matched, ≤ 0.8 "
                "of the float32 dense floor (the ReLU CNN with the same convolutions on the "
                "[T·B] batch)."),
    rows=conv_rows, figure=conv_figure, hidden=("name", "variant", "short"),
    columns=CONV_COLUMNS, spikelab=("spikelab", "SpikeLab is", 5),
    formats={"step ms": "%.1f", CONV_COLUMNS["ratio"]: "%.2f×", "step-1 loss": "%.4f"},
    losses=conv_losses)


def scaling_view(saved: SavedResult | None) -> None:
    """Draw the last scaling result: exponents, the figure and its downloads."""
    result = opened("scaling", "How the fast engine's step time scales", TITLES["scaling"],
                    saved)
    if result is None:
        return
    note = workload_note(result)
    if note:
        st.caption(md(note, 600))
    curves = scaling_curves(result)
    st.markdown("Exponents k of time ~ value^k: " + ", ".join(
        f"**{md(c.label)}** {c.exponent:.2f}" for c in curves) + " (1: linear).")
    reference = reference_exponents(result)
    if reference:
        st.caption("The reference engine (the one time loop every neuron model trains through): "
                   + ", ".join(f"k = {k:.2f} in {md(QUANTITY_LABELS.get(q, q))}"
                               for q, k in reference.items()) + ".")
    chart(scaling_figure(curves), P + "scaling_fig")
    downloads("scaling", pd.DataFrame(scaling_rows(curves)), result, "points")


def saved_conv(db: str) -> SavedResult | None:
    """The last saved conv result for the sidebar's time (None when it cannot be read: ``show``
    says why)."""
    try:
        return latest(RunStore(db), "conv")
    except ValueError:
        return None


def show(db: str, suite: str) -> None:
    """The last saved result of ``suite``, or why it cannot be shown."""
    try:
        saved = latest(RunStore(db), suite)
    except ValueError as exc:
        st.error(f"{md(exc, 600)} Run the suite again, or point SPIKELAB_DB at another "
                 "database.")
        return
    if suite == "scaling":
        scaling_view(saved)
    else:
        timing_view(PEERS if suite == "peers" else CONV, saved)


def main() -> None:
    """Draw the benchmarks page: the suites' job, the saved results and the upload."""
    st.title("Benchmarks")
    st.caption("One training step of the SpyTorch SHD network (forward, backward, Adam) timed "
               "side by side in SpikeLab, snnTorch, Norse, SpikingJelly and plain PyTorch; the "
               "same for a 4-layer conv SNN (32-32-pool-64-64-pool, T = 4), each library as its "
               "tutorials build it and in SpikeLab's precision and layout; and how SpikeLab's "
               "step time grows with T, hidden size, batch and input density. The page shows "
               "the last saved runs; timings depend on the machine and its load.")
    s = st.session_state
    restore(P, FIELDS, notice=False)
    notices = st.container()
    db = str(default_db_path())
    controls()
    with st.sidebar:
        conv_controls(saved_conv(db))
    if P + "message" in s:  # a result file just loaded (``upload``)
        kind, text = s.pop(P + "message")
        getattr(st, kind)(text)
    suite_panel(db)
    show(db, "peers")
    show(db, "conv")
    show(db, "scaling")
    st.header("Results measured elsewhere")
    upload(db)
    publish(P, FIELDS)
    with notices:
        show_notes()


run_page(main)
