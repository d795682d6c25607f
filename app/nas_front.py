"""The NAS page's accuracy-energy panel: Pareto fronts per condition and hypervolumes.

Shown when a study on show searches accuracy and energy (``nas --objectives
accuracy,energy``). The data are ``core.nas.front``'s; this module only lays them out. The
conditions shown and the energy axis are in the page's URL (``front``, ``front_log``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from app.charts import chart, csv_button
from app.figures.nas import front_figure
from app.text import md
from app.url_state import Field
from core.nas.front import FrontPoint, condition_fronts, front_report, read_studies
from core.nas.space import NEURONS, RESETS
from core.nas.study import SPEC_ATTR

P = "nas_"


def condition_code(condition: str) -> str:
    """A condition as a link writes it (no comma): ``LIF, Soft`` -> ``LIF-Soft``."""
    return condition.replace(", ", "-")


CODES = tuple(condition_code(f"{n}, {r.capitalize()}") for n in NEURONS for r in RESETS)
#: The panel's URL fields (merged into the page's): the conditions drawn, the energy axis.
FIELDS = {"front": Field([], many=True, choices=(*CODES, "DNN")), "front_log": Field(True)}
HARDWARE_SOURCE = "A saved run"  # pages/hardware.py's source for a run of the run store


def multi_studies(storage: Any, names: list[str]) -> list[str]:
    """The studies of ``names`` that search accuracy and energy."""
    import optuna

    out = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        spec = summary.user_attrs.get(SPEC_ATTR) or {}
        if summary.study_name in names and len(spec.get("objectives") or ()) > 1:
            out.append(summary.study_name)
    return [n for n in names if n in out]


def front_panel(storage: Any, names: list[str]) -> None:
    """Fronts, the hypervolume tables and a front point to open, for the studies shown."""
    multi = multi_studies(storage, names)
    if not multi:
        return
    st.subheader("Accuracy against energy per frame (Pareto fronts)")
    try:
        studies, reference = read_studies(storage, multi)
    except ValueError as exc:
        st.warning(md(exc), icon=":material/warning:")
        return
    points = [p for s in studies for p in s.points]
    if not points:
        st.info("No priced trial yet in the accuracy-and-energy studies.", icon=":material/info:")
        return
    fronts = condition_fronts(points)
    shown = _pick_conditions(list(fronts))
    log = st.toggle("Log energy axis", key=P + "front_log")
    kept = {c: f for c, f in fronts.items() if c in shown}
    chart(front_figure([p for p in points if p.condition in kept], kept, log), P + "front_fig")
    report = front_report(studies, reference)
    st.caption(f"Hypervolume reference: accuracy 0 and {reference.energy_j:.4g} J per frame, "
               f"{md(report['reference']['rule'])}. Hypervolume of all trials shown: "
               f"{report['hypervolume']:.4f} (1 would be accuracy 1 at no energy).")
    st.caption(crossover_text(report["snn_vs_dnn"]))
    _tables(report)
    _open_point(points)


def crossover_text(answer: dict[str, Any] | None) -> str:
    """One sentence on where the SNN front stops beating the DNN's on energy."""
    if answer is None:
        return "Show an SNN and a DNN study to compare their fronts on energy."
    row = answer["crossover"]
    if row is None:
        return "The SNN front is cheaper than the DNN's at every accuracy the DNN reaches."
    snn = ("no SNN reaches it" if row["snn_energy_j"] is None
           else f"the cheapest SNN {row['snn_energy_j']:.3g} J")
    return (f"The SNN front stops beating the DNN's on energy at validation accuracy "
            f"{row['accuracy']:.3f}: the DNN reaches it with {row['dnn_energy_j']:.3g} J per "
            f"frame, {snn}.")


def _pick_conditions(available: list[str]) -> list[str]:
    """The conditions the chart shows (all when the link names none that are here)."""
    key = P + "front"
    codes = {condition_code(c): c for c in available}
    chosen = [c for c in st.session_state.get(key, []) if c in codes]
    st.session_state[key] = chosen or list(codes)
    picked = st.multiselect("Conditions", list(codes), key=key, format_func=codes.get)
    return [codes[c] for c in picked]


def _tables(report: dict[str, Any]) -> None:
    per_study = [{k: v for k, v in row.items() if k != "per_condition"}
                 | {f"HV {c}": h for c, h in row["per_condition"].items()}
                 for row in report["per_study"]]
    _table(per_study, "hypervolume_studies", "Hypervolume per study (seed)")
    left, right = st.columns(2)
    with left:
        _table(_spread_rows(report["per_algorithm"]), "hypervolume_algorithms",
               "Per algorithm: mean ± s.d. over seeds")
    with right:
        _table(_spread_rows(report["per_condition"]), "hypervolume_conditions",
               "Per condition: mean ± s.d. over studies")
    _table(report["algorithm_comparisons"] + report["condition_comparisons"],
           "hypervolume_differences", "Differences of means against the seed spread")
    st.caption("A difference exceeds the seed spread when it is larger than the sum of the two "
               "standard deviations; with one seed it is not judged.")
    _table(report["front"], "front", "The non-dominated trials (all studies shown)")


def _spread_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "hypervolumes"} for row in rows]


def _table(rows: list[dict[str, Any]], name: str, title: str) -> None:
    st.markdown(f"**{title}**")
    frame = pd.DataFrame(rows)
    st.dataframe(frame, hide_index=True, key=P + name)
    csv_button(frame, f"nas_{name}", P + name + "_csv", label="Download CSV")


def _open_point(points: list[FrontPoint]) -> None:
    """A front point to open on the Hardware page (by its run) or to retrain."""
    stored = [p for p in points if p.run_id is not None]
    if not stored:
        return
    labels = {f"{p.study} #{p.number}: {p.condition}, accuracy {p.accuracy:.3f}, "
              f"{p.energy_j:.3g} J": p for p in sorted(stored, key=lambda p: p.energy_j)}
    label = st.selectbox("Open a trial", list(labels), key=P + "front_point")
    point = labels[label]
    query = urlencode({"source": HARDWARE_SOURCE, "run": point.run_id})
    st.markdown(f"[Open run {point.run_id} on the Hardware page](hardware?{query}); retrain "
                "it at full scale with:")
    st.code(f"python -m core nas-retrain --storage URL --study '{point.study}' "
            f"--trial {point.number} --dataset DATA", language="bash")
