"""YOSO priced with a trained network's own spikes, beside the ReL-PSP paper's figure.

The paper (Zhang et al., IEEE TNNLS 33(5), 2022) ran its trained MNIST network (784-800-10) on
the YOSO accelerator and reports one operating point: 0.751 mW and 47.71 ms per image
(``constants.RELPSP_YOSO_MNIST``); it publishes no spike counts. ``calibrate`` (in
``core.hardware.analysis``) therefore assumes every neuron fires once, the most a
single-spike network can send. ``measured_calibration`` runs the model twice on a saved,
trained network's shape: with that all-fire bound, and with the spikes the network really fired
(per layer, per image, averaged over its test set, ``metrics["test_spikes_per_layer"]``; a run
saved before those were recorded gives the evaluation batch's, and says so), each beside the
published figure.

What one published point can and cannot check (``VALIDATION_NOTE``): the model has several free
constants (energy per event class, leakage per PE, clock, cycles per event) and one power and
one time per image constrain at most two combinations of them; agreement there does not
validate any constant on its own, nor how energy scales with spikes or network size.
"""

from __future__ import annotations

from typing import Any

from core.hardware.analysis import Calibration
from core.hardware.base import EnergyModel
from core.hardware.constants import RELPSP_YOSO_MNIST, PublishedFigure
from core.hardware.runs import fc_sizes
from core.hardware.workload import fc_workload

TEST_KEY = "test_spikes_per_layer"
EVAL_KEY = "spikes_per_layer"
VALIDATION_NOTE = (
    "One published operating point (0.751 mW, 47.71 ms per image, spike counts unpublished) "
    "constrains at most two combinations of the model's free constants (energy per event, "
    "leakage per PE, clock, cycles per event): agreement there validates no single constant, "
    "nor how energy scales with spikes or network size; the all-fire count is an upper bound "
    "on the traffic, the measured one is this network's, not the paper's."
)


def measured_spikes(run: Any) -> tuple[tuple[float, ...], str]:
    """The run's spikes per layer per image (input first) and where they come from."""
    for key, source in ((TEST_KEY, "test set mean"),
                        (EVAL_KEY, "evaluation batch of training samples (mean)")):
        counts = run.metrics.get(key)
        if counts:
            return tuple(float(c) for c in counts), source
    raise ValueError(
        f"Run {run.id} records no spike counts ({TEST_KEY} or {EVAL_KEY}): train it again "
        "with `python -m core relpsp train`."
    )


def _priced(model: EnergyModel, sizes: tuple[int, ...], spikes: tuple[float, ...],
            figure: PublishedFigure, label: str) -> dict[str, Any]:
    workload = fc_workload(sizes, spikes, label=label)
    cal = Calibration(figure, spikes, model.estimate(workload)).to_dict()
    cal.pop("published")
    return cal


def measured_calibration(model: EnergyModel, run: Any,
                         figure: PublishedFigure = RELPSP_YOSO_MNIST) -> dict[str, Any]:
    """The model on ``run``'s trained network, all-fire and measured, beside ``figure``."""
    sizes, recurrent = fc_sizes(run)
    if recurrent:
        raise ValueError(f"Run {run.id} is recurrent; the published network is feed-forward.")
    spikes, source = measured_spikes(run)
    if len(spikes) != len(sizes):
        raise ValueError(f"Run {run.id} has {len(sizes)} layers but {len(spikes)} spike counts.")
    label = f"run {run.id} ({run.kind})"
    return {
        "run": run.id,
        "dataset": run.config.get("dataset"),
        "test_accuracy": run.metrics.get("test_accuracy"),
        "network": "-".join(map(str, sizes)),
        "same_network_as_published": tuple(sizes) == tuple(figure.sizes),
        "spikes_source": source,
        "all_fire": _priced(model, sizes, tuple(float(n) for n in sizes), figure,
                            f"{label}, every neuron once"),
        "measured": _priced(model, sizes, spikes, figure, f"{label}, measured spikes"),
        "note": VALIDATION_NOTE,
    }
