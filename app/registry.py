"""The pages of the app, in navigation order. Only pages that work are listed here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.neurons.registry import MODELS

ROOT = Path(__file__).resolve().parents[1]


def _neuron_list() -> str:
    """The registered neuron models' labels, e.g. "Integrate-and-fire (IF), ... and ..."."""
    labels = [model.label for model in MODELS]
    return ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else labels[0]


@dataclass(frozen=True)
class PageInfo:
    file: str  # under pages/
    title: str
    icon: str
    url_path: str
    summary: str

    @property
    def path(self) -> Path:
        """The page's file."""
        return ROOT / "pages" / self.file


PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "neuron_dynamics.py",
        "Neuron dynamics",
        ":material/show_chart:",
        "neurons",
        f"{_neuron_list()} neurons, hard/soft reset, f-I curves, exact vs Euler, and ReL-PSP "
        "neurons that fire once.",
    ),
    PageInfo(
        "encoding.py",
        "Encoding",
        ":material/scatter_plot:",
        "encoding",
        "Turn digits, Braille, (Fashion-)MNIST or CIFAR-10 samples into spikes (TTFS, latency, "
        "rate, delta), see T(x), rasters and dense-vs-sparse memory; browse Braille and SHD.",
    ),
    PageInfo(
        "training.py",
        "Training",
        ":material/model_training:",
        "training",
        "Train SpyTorch networks with surrogate gradients on digits, Braille, (Fashion-)MNIST or "
        "SHD: live loss and accuracy, rasters, membranes, confusion matrix, saved runs, NIR.",
    ),
    PageInfo(
        "grid_search.py",
        "Grid search",
        ":material/grid_on:",
        "grid-search",
        "Hidden size x time steps x surrogate scale x regulariser through Optuna's GridSampler: "
        "watch points fill a table, per-value accuracy and time, the best combination; resume.",
    ),
    PageInfo(
        "relpsp.py",
        "ReL-PSP & STDBP",
        ":material/timer:",
        "relpsp",
        "Single-spike networks with rectified-linear PSPs trained by spike-timing backprop: "
        "earliest output wins, hidden spikes precede output spikes, no dead neurons vs alpha-PSP.",
    ),
    PageInfo(
        "nas.py",
        "Architecture search",
        ":material/travel_explore:",
        "nas",
        "Random, Greedy and Bayesian search over deep conv SNNs (IF/LIF, hard/soft reset) and a "
        "DNN baseline: launch a small search or watch a cluster's study fill up.",
    ),
    PageInfo(
        "hardware.py",
        "Hardware",
        ":material/memory:",
        "hardware",
        "What a frame costs on a chip: the YOSO mesh accelerator simulated spike by spike "
        "(energy breakdown, latency, PE heat map) beside synaptic-op counts and the ANN.",
    ),
    PageInfo(
        "playground.py",
        "SNN Playground",
        ":material/toys:",
        "playground",
        "Watch a small spiking network learn moons, circles, XOR or spirals, live: decision "
        "surface, per-neuron maps, membrane traces, editable weights and an energy estimate.",
    ),
    PageInfo(
        "benchmarks.py",
        "Benchmarks",
        ":material/speed:",
        "benchmarks",
        "One training step timed side by side in SpikeLab, snnTorch, Norse, SpikingJelly and "
        "PyTorch, the step time's scaling exponents, and which speed targets are met.",
    ),
)
