"""What the ReL-PSP page draws of a stored run, computed from its history and metrics.

A stored run is a dict with ``config``, ``history`` (one entry per epoch, with per-layer
numbers and the last epoch's spike-time and gradient histograms) and ``metrics`` (the classes
and the output spike times of the first test samples). ``app/figures/relpsp.py`` draws these;
tests assert on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

PSP_TITLES = {"relpsp": "ReL-PSP", "alpha": "alpha-PSP"}


class OutputTimes(NamedTuple):
    """One test sample's output spike times; a silent neuron is drawn past the latest one."""

    classes: list[str]
    shown: list[float]  # spike time, or 1.1 x the latest spike for a silent neuron
    silent: list[bool]
    winner: int  # the earliest output: the network's answer
    label: str  # the true class


class Curve(NamedTuple):
    """One line or bar series of one layer of one run."""

    psp: str  # "relpsp" or "alpha"
    layer: str
    index: int  # position among the run's drawn layers (picks the dash)
    x: list[float]
    y: list[float]


def output_times(metrics: dict[str, Any], sample: int) -> OutputTimes:
    """The output spike times of the stored test sample ``sample``."""
    samples, classes = metrics["samples"], metrics["classes"]
    times = samples["output_times"][sample]
    late = max((t for t in times if t is not None), default=1.0) * 1.1
    shown = [late if t is None else t for t in times]
    winner = min(range(len(shown)), key=lambda k: shown[k])
    return OutputTimes(list(classes), shown, [t is None for t in times], winner,
                       classes[samples["labels"][sample]])


def class_times(metrics: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Spike times of the true class's output neuron, and of the other output neurons."""
    samples = metrics["samples"]
    own: list[float] = []
    other: list[float] = []
    for row, y in zip(samples["output_times"], samples["labels"], strict=True):
        for k, t in enumerate(row):
            if t is not None:
                (own if k == y else other).append(t)
    return own, other


def centers(edges: Sequence[float]) -> list[float]:
    """Bin centres of histogram ``edges``."""
    return [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]


def fractions(counts: Sequence[int]) -> list[float]:
    """Counts as fractions of their total (all zeros stay zeros)."""
    total = max(sum(counts), 1)
    return [c / total for c in counts]


def time_histogram(history: list[dict[str, Any]]) -> list[Curve]:
    """The last epoch's spike-time histogram of each layer, as fractions of its spikes."""
    hist = history[-1]["time_hist"]
    x = centers(hist["edges"])
    return [Curve("", name, i, x, fractions(counts))
            for i, (name, counts) in enumerate(hist["counts"].items())]


def epoch_series(runs: Sequence[dict[str, Any]], key: str, layers: str = "hidden"
                 ) -> list[Curve]:
    """Per-layer ``key`` against the epoch for each run; ``layers`` is "hidden" or "all"."""
    out = []
    for run in runs:
        history = run["history"]
        names = list(history[0]["layers"]) if history else []
        picked = [n for n in names if n != "out"] if layers == "hidden" else names
        epochs = [h["epoch"] for h in history]
        out += [Curve(run["config"]["psp"], name, i, epochs,
                      [h["layers"][name][key] for h in history])
                for i, name in enumerate(picked)]
    return out


def grad_histograms(runs: Sequence[dict[str, Any]]) -> list[Curve]:
    """The last epoch's log10 |gradient| histogram of each layer of each run, as fractions."""
    out = []
    for run in runs:
        grad = run["history"][-1]["grad_hist"]
        x = centers(grad["edges"])
        out += [Curve(run["config"]["psp"], name, i, x, fractions(counts))
                for i, (name, counts) in enumerate(grad["counts"].items())]
    return out
