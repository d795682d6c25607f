"""The Hardware page's spike-rate sweep: every model's energy per frame as all spikes scale.

Formula models sweep at once; a simulated model (one whose ``frame_cost`` counts simulation,
YOSO's packets) sweeps at once when small, else on request with progress and a Stop button,
and leaves out the frames beyond its simulator's limit. Estimates go through one session cache
(``estimate``), which the page's own figures share, so a stopped sweep keeps its frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from app.charts import chart, csv_button
from app.figures.hardware import model_title, sweep_figure
from core.hardware import EnergyModel, Workload
from core.hardware.analysis import SweepPoint, sweep
from core.hardware.base import EnergyReport
from core.hardware.registry import get_model, make_model

SWEEP_FACTORS = tuple(np.round(np.linspace(0.0, 3.0, 13), 2))
SWEEP_AUTO_COST = 2_000_000  # a simulated sweep this small (about a second) runs at once
Params = dict[str, Any]  # model name -> its params dataclass


@st.cache_data(max_entries=64, show_spinner=False)
def estimate(name: str, workload: Workload, params: Any) -> EnergyReport:
    """One frame of ``workload`` on model ``name`` with ``params``, cached (draws nothing)."""
    return make_model(name, params).estimate(workload)


class CachedModel:
    """A model whose estimates go through the session cache (a stopped sweep keeps its frames)."""

    def __init__(self, name: str, params: Any) -> None:
        self.name, self.params = name, params

    def estimate(self, workload: Workload) -> EnergyReport:
        """One frame, through the cache (draws nothing)."""
        return estimate(self.name, workload, self.params)


def sweep_panel(workload: Workload, params: Params, names: list[str], prefix: str) -> None:
    """Draw energy against spike rate for each model in ``names``: at once when cheap, else
    (a simulated model's large sweep) on request, with progress and stop.

    A simulated model's curve leaves out the frames beyond its simulator's limit (the
    operation counts cover every point)."""
    points: dict[str, list[SweepPoint]] = {}
    costly: dict[str, list[float]] = {}
    cost = 0
    for name in names:
        model = make_model(name, params[name])
        factors = [f for f in SWEEP_FACTORS if _fits(model, workload.scaled(float(f)))]
        if not factors:
            continue
        scaled = {w.spikes: w for w in (workload.scaled(float(f)) for f in factors)}
        frames = sum(model.frame_cost(w) for w in scaled.values())
        if frames > SWEEP_AUTO_COST:
            costly[name], cost = factors, cost + frames
        else:
            points[name] = _sweep_with_progress(workload, name, params[name], factors)
        if len(factors) < len(SWEEP_FACTORS):
            st.caption(f"{model.label} is simulated up to {factors[-1]:g}× the given spikes; "
                       f"beyond, a frame takes more than {model.max_frame_cost:,} "
                       f"{model.cost_unit}.")
    key = (workload, tuple(params[n] for n in costly))
    if costly and st.session_state.get(prefix + "swept") != key:
        labels = " and ".join(get_model(n).label for n in costly)
        unit = get_model(next(iter(costly))).cost_unit
        if st.button(f"Sweep {labels} over {max(map(len, costly.values()))} spike rates "
                     f"({cost / 1e6:,.1f} million {unit})", key=prefix + "sweep_go"):
            stop = st.empty()  # pressing it reruns the page, which ends the sweep
            stop.button("Stop the sweep", key=prefix + "sweep_stop")
            points.update({n: _sweep_with_progress(workload, n, params[n], f)
                           for n, f in costly.items()})
            stop.empty()
            st.session_state[prefix + "swept"] = key
    else:
        points.update({n: _sweep_with_progress(workload, n, params[n], f)
                       for n, f in costly.items()})
    points = {n: points[n] for n in names if n in points}  # registry order
    chart(sweep_figure(points), prefix + "sweep_fig")
    csv_button(pd.DataFrame([{"model": name, "factor": p.factor, "spikes": p.spikes,
                              "rate": p.rate, "energy_j": p.energy_j, "latency_s": p.latency_s,
                              "ann_energy_j": p.ann_energy_j}
                             for name, pts in points.items() for p in pts]),
               "sweep", prefix + "sweep_csv", label="Download sweep (CSV)")


def _fits(model: EnergyModel, workload: Workload) -> bool:
    """Whether the model's simulator takes one frame of ``workload``."""
    try:
        return model.max_frame_cost is None or model.frame_cost(workload) <= model.max_frame_cost
    except ValueError:
        return False


def _sweep_with_progress(workload: Workload, name: str, params: Any,
                         factors: list[float]) -> list[SweepPoint]:
    label = model_title(name)
    bar = st.progress(0.0, text=f"Sweeping the spike rate on {label}, one frame per rate…")

    def on_point(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Sweeping the spike rate on {label}: frame {done} of "
                                        f"{total}…")

    points = sweep(CachedModel(name, params), workload, factors, on_point)
    bar.empty()
    return points
