"""The demo gallery: links that open a page of the app in a ready-made situation.

Each demo names a page (its URL path), the query that sets the page up, one sentence of what
to look at and why it matters, the published source where there is one, and what the presenter
must press when the demo needs a trained run (``needs``; None when the page shows the result at
once). ``expectations`` computes, with the same engine the pages use, the numbers a demo's page
must show: the Home page's cards quote them and the browser test checks them.
``python -m core demos --json`` lists the gallery.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np


@dataclass(frozen=True)
class Demo:
    """One card of the gallery."""

    id: str
    title: str
    page: str  # the page's URL path (app/registry.py)
    query: dict[str, str]
    look: str  # what to look at, and why it matters
    citation: str | None = None
    needs: str | None = None  # what to press first; None: the result shows at once

    @property
    def url(self) -> str:
        """The link, relative to the app's address; ``demo=ID`` shows the card on the page."""
        return f"{self.page}?{urlencode({**self.query, 'demo': self.id})}"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "url": self.url}


@dataclass(frozen=True)
class Take:
    """How long one of the long actions a card or page names takes: wall seconds measured with
    ``command`` on 2 idle cores (``tools/time_claims.py`` measures them all again; ``{tmp}``
    in it is a temporary folder)."""

    seconds: float
    command: str


#: The long actions the gallery's cards and the pages name, by key; ``about`` words them, so a
#: card and its page say the same. A page adds its job's start (about a second). Measured by
#: tools/time_claims.py on 2 idle cores (AMD EPYC VM, AVX-512, 2026-12-06, Numba's cache warm):
#: wall seconds, rounded up. On a loaded machine Numba's and PyTorch's thread pools contend and
#: the event-driven ReL-PSP/alpha-PSP runs varied 5-20x (alpha-PSP, 20 epochs: 22-376 s).
TAKES: dict[str, Take] = {
    "train-digits": Take(7, "python -m core train --dataset digits --epochs 10 --no-save"),
    "train-digits-defaults": Take(7, "python -m core train --dataset digits --no-save"),
    "relpsp-digits": Take(9, "python -m core relpsp train --dataset digits --no-save"),
    "relpsp-digits-5": Take(7, "python -m core relpsp train --dataset digits --epochs 5 "
                                "--no-save"),
    "alpha-digits": Take(18, "python -m core relpsp train --dataset digits --psp alpha "
                              "--no-save"),
    "alpha-digits-5": Take(9, "python -m core relpsp train --dataset digits --psp alpha "
                               "--epochs 5 --no-save"),
    "bench-peers-quick": Take(9, "python -m core bench --suite peers --quick --no-memory "
                                  "--json"),
    "bench-peers-quick-memory": Take(30, "python -m core bench --suite peers --quick --json"),
    "nas-trial-digits": Take(7, "python -m core nas --algorithm random --dataset digits "
                                 "--trials 1 --no-store --storage sqlite:///{tmp}/nas.db"),
    # CPU seconds of one thread, measured on a busy machine (06:26 UTC, 2026-12-06): the wall
    # time of an idle one; DIR is a local Fashion-MNIST copy (the page downloads it once).
    "nas-energy-fashion": Take(55, "python -m core nas --algorithm nsga2 --objectives "
                                   "accuracy,energy --dataset fashion-mnist --data-path DIR "
                                   "--trials 30 --threads 1 --no-store "
                                   "--storage sqlite:///{tmp}/nas.db"),
}


def words(seconds: float) -> str:
    """A duration as the cards say it: "about 15 s" under 90 s (to 5 s), else "about 5
    minutes"."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s"
    return f"about {round(seconds / 60):.0f} minutes"


def about(*keys: str, times: int = 1) -> str:
    """``times`` runs of the actions ``keys`` (``TAKES``), one after the other, in words."""
    return words(times * sum(TAKES[key].seconds for key in keys))


RUECKAUER = "Rueckauer et al., Front. Neurosci. 11:682, 2017 (reset by subtraction)"
ZHANG = "Zhang et al., IEEE TNNLS 33(5), 2022"
SPYTORCH = "Zenke & Vogels, Neural Computation 33(4), 2021 (SpyTorch)"

DEMOS: tuple[Demo, ...] = (
    Demo("reset", "Soft vs hard reset: charge conservation", "neurons",
         {"amp": "1", "b_on": "1", "b_reset": "hard"},
         "A strong step drives two identical LIF neurons: soft reset (A) subtracts θ and keeps "
         "the charge above threshold, so it fires more than hard reset (B), which throws that "
         "charge away; compare the spike counts under the traces.", RUECKAUER),
    Demo("fi", "IF vs LIF: f–I curves", "neurons",
         {"tab": "fi", "b_on": "1", "b_model": "if", "fi_max": "0.5"},
         "The leak gives the LIF (A) a rheobase: below it the neuron never fires, while the "
         "IF (B) fires for any positive current and its rate grows linearly.",
         "Gerstner et al., Neuronal Dynamics, CUP 2014, ch. 1"),
    Demo("euler", "Forward Euler diverges beyond Δt = 2τ", "neurons",
         {"tab": "euler", "ode_tau": "10", "ode_dt": "25", "ode_current": "1",
          "ode_reset": "none", "ode_duration": "300"},
         "With Δt = 25 ms and τ = 10 ms the Euler factor 1 − Δt/τ is −1.5: the Euler membrane "
         "swings ever wider (no reset here to hide it) while the exact update settles at "
         "E_L + RI = −55 mV."),
    Demo("relpsp-neuron", "A ReL-PSP neuron fires where an alpha-PSP neuron dies", "neurons",
         {"tab": "relpsp"},
         "Three small inputs never lift the alpha-PSP potential to θ (a dead neuron), while "
         "the ReL-PSP potential keeps rising and fires at an exact, differentiable time.", ZHANG),
    Demo("alif", "Spike-frequency adaptation (ALIF)", "neurons",
         {"a_model": "alif", "amp": "0.3", "b_on": "1", "b_model": "lif"},
         "Each spike raises the adaptive LIF's threshold (its dashed trace), so under the same "
         "step it fires fewer spikes than the plain LIF (B), ever more slowly.",
         "Bellec et al., NeurIPS 2018 (LSNN)"),
    Demo("ttfs", "TTFS: bright pixels fire first", "encoding", {"method": "ttfs", "sample": "0"},
         "Each pixel of a digit fires once, at T(x) = τ ln(x / (x − θ)): the brightest pixels "
         "spike first and those below θ never; the right chart is T(x) with this digit's "
         "pixels marked.", SPYTORCH),
    Demo("train-digits", f"Train an SNN in {about('train-digits')} and look inside",
         "training",
         {"dataset": "digits", "epochs": "10"},
         "A SpyTorch network learns the digits with surrogate gradients; then read its "
         "hidden raster, membranes, readout and confusion matrix.", SPYTORCH,
         needs=f"Press Start training (digits, 10 epochs: {about('train-digits')} on 2 "
               "cores)."),
    Demo("reg-cliff", "The spike regulariser's cliff", "grid-search",
         {"dataset": "fashion-mnist", "grid_hidden": "100", "grid_steps": "100",
          "grid_scale": "100", "grid_reg": "1e-6,1e-4", "study": "reg-cliff"},
         "On Fashion-MNIST a regulariser of 1e-6 learns while 1e-4 silences the hidden layer "
         "and the network sits at chance (10 %): the per-value chart shows the cliff.",
         "the regulariser grid of the surrogate-gradient thesis; network: " + SPYTORCH,
         needs="Give Fashion-MNIST's files (Data path, or Allow downloads), then press "
               "Launch: two points, minutes each."),
    Demo("relpsp-dead", "ReL-PSP vs alpha-PSP: no dead neurons", "relpsp",
         {"dataset": "digits", "compare": "1", "epochs": "5"},
         "Trained side by side by STDBP, the alpha-PSP network loses hidden neurons that never "
         "fire while the ReL-PSP network keeps its dead-neuron ratio near zero.", ZHANG,
         needs=f"Press Train (digits, 5 epochs, both kernels: "
               f"{about('relpsp-digits-5', 'alpha-digits-5')} on 2 cores; alpha-PSP takes "
               "most of it)."),
    Demo("relpsp-order", "Hidden spikes precede output spikes (STDBP)", "relpsp",
         {"dataset": "digits", "compare": "0", "epochs": "5", "sample": "0"},
         "The spike-time histogram shows the hidden layer firing before the output layer, and "
         "the class chart shows the true class's output neuron firing first: the earliest "
         "output spike is the answer.", ZHANG,
         needs=f"Press Train (digits, 5 epochs: {about('relpsp-digits-5')} on 2 cores)."),
    Demo("nas-conditions", "Architecture search: IF/LIF × hard/soft reset", "nas",
         {"algorithm": "random", "trials": "12", "study_name": "conditions"},
         "A random search over conv SNNs whose neuron and reset are searched too: the tables "
         "compare IF with LIF and hard with soft reset trial by trial.",
         needs=f"Press Start (small preset on the digits: {about('nas-trial-digits')} a "
               f"trial, {about('nas-trial-digits', times=12)} for the 12 on 2 cores)."),
    Demo("nas-full-scale", "Proxy vs full-scale accuracy of searched architectures", "nas",
         {"algorithm": "bayesian", "neuron": "LIF", "reset": "soft", "trials": "6",
          "study_name": "full-scale"},
         "A search ranks architectures on a proxy (2 epochs on part of the data); retraining "
         "the best one on the whole training set puts its proxy accuracy beside its "
         "full-scale validation and test accuracy, per condition, in one table.",
         needs=f"Press Start (small preset on the digits: {about('nas-trial-digits')} a "
               "trial), then Retrain at "
               "full scale (the whole digits set: under a minute; Fashion-MNIST or MNIST: "
               "about 30 minutes an architecture on two CPU cores)."),
    Demo("nas-energy-front", "Accuracy against energy: where the SNN stops beating the ANN",
         "nas",
         {"algorithm": "nsga2", "energy": "1", "dataset": "fashion-mnist", "preset": "fashion",
          "trials": "30", "study_name": "energy-front"},
         "NSGA-II searches conv SNNs for validation accuracy and energy per frame at once, each "
         "trial priced from its own measured spikes (operation counts, NeuroBench's "
         "conventions). The Pareto front of each condition (IF/LIF × hard/soft) is drawn on a "
         "log energy axis; search again with Model DNN and the same-shape ANN's front joins "
         "it, and the line under the chart says up to which accuracy the SNN costs less.",
         "energy per operation: Horowitz, ISSCC 2014; operations counted as NeuroBench "
         "counts them",
         needs=f"Press Start (Fashion-MNIST proxy, 30 trials: {about('nas-energy-fashion')} "
               "on 2 cores; the data downloads once), then set Model to DNN and 10 trials and "
               "press Start again."),
    Demo("yoso-energy", "Energy vs spike rate on YOSO", "hardware",
         {"arch": "784-800-10", "spikes": "100,80,10"},
         "At the given spikes the SNN costs less than the same-shape ANN on the YOSO mesh; the "
         "sweep shows its energy growing with the spike rate and where it stops winning.",
         "YOSO: Srivatsa et al., arXiv:2006.09982; op energies: Horowitz, ISSCC 2014"),
    Demo("playground-spirals", "The Playground learns spirals", "playground",
         {"data": "spirals", "noise": "0.05", "hidden": "16-16", "lr": "0.1", "points": "600"},
         "Watch the decision surface wrap around two interleaved spirals as a small spiking "
         "network trains, with per-neuron maps and the energy against an ANN.",
         "after TensorFlow Playground (Smilkov et al., 2017)",
         needs="Press Play."),
    Demo("bench-peers", "SpikeLab against snnTorch, Norse and SpikingJelly", "benchmarks",
         {"quick": "1", "memory": "0"},
         "The same training step of the SHD network timed side by side in each library: the "
         "verdict line says which is fastest, the bars give each one's step time and its ratio "
         "to SpikeLab's fast engine, and the targets line says which speed goals this CPU "
         "meets at batch 64.",
         needs=f"Press Run the peers suite (quick: {about('bench-peers-quick')} on 2 cores)."),
)


def get_demo(demo_id: str) -> Demo:
    for demo in DEMOS:
        if demo.id == demo_id:
            return demo
    raise ValueError(f"No demo {demo_id!r}: pick one of {', '.join(d.id for d in DEMOS)}.")


def _spikes(model: str, reset: str, amp: float, steps: int = 200) -> int:
    from core.neurons.simulation import Neuron, simulate
    from core.stimuli import InputSpec, make_input

    x = make_input(InputSpec("step", amp, onset=10), steps)
    neuron = Neuron.make(model, threshold=1.0, reset=reset)  # the page's defaults: the model's
    return int(simulate(neuron, x).spikes.sum())


def _rheobase(model: str, fi_max: float) -> float:
    from core.explorer import ExplorerConfig, explore
    from core.neurons.simulation import Neuron
    from core.stimuli import InputSpec

    neuron = Neuron.make(model, threshold=1.0, reset="soft")  # the model's decays, as the page
    stimulus = InputSpec("step", 0.15, onset=10)  # the page's default input
    result = explore(ExplorerConfig(neuron, None, stimulus, steps=200, fi_max=fi_max))
    fires = result.fi_amplitudes[result.fi_rate_a > 0]
    return float(fires[0])


def _euler_gap() -> float:
    """The Euler demo's largest gap (the page's E_L -65 mV, R 10 MΩ, threshold -50 mV)."""
    from core.explorer import compare_euler
    from core.neurons.params import PhysicalParams
    from core.neurons.physical import MembraneODE

    q = get_demo("euler").query
    ode = MembraneODE(PhysicalParams(tau_mem=float(q["ode_tau"]), dt=float(q["ode_dt"])),
                      -65.0, 10.0, -50.0)
    cmp = compare_euler(ode, float(q["ode_current"]), float(q["ode_duration"]), q["ode_reset"])
    return float(abs(cmp.euler.mem - cmp.exact.mem).max())


def _ttfs() -> dict[str, Any]:
    import torch

    from core.data import load_dataset
    from core.encoders import TTFSParams, encode

    x = load_dataset("digits").x_train[0].reshape(1, -1)
    batch = torch.as_tensor(x, dtype=torch.float32)
    enc = encode(batch, "ttfs", 100, TTFSParams(20.0, 0.2, 100.0), dt=1.0)
    dense = enc.dense[:, 0].numpy()
    first = dense.argmax(axis=0).astype(float)
    first[dense.sum(axis=0) == 0] = np.inf
    return {"events": int(enc.memory()["events"]),
            "brightest_fires_first": bool(first[x[0].argmax()] == first.min())}


def _yoso() -> dict[str, Any]:
    from core.hardware import fc_workload, make_model
    from core.hardware.analysis import sweep

    workload = fc_workload((784, 800, 10), (100, 80, 10), 1)
    model = make_model("yoso")  # the page's defaults
    points = sweep(model, workload, tuple(np.linspace(0.0, 3.0, 13)))
    factors = np.array([p.factor for p in points])
    gap = np.array([p.energy_j - p.ann_energy_j for p in points])
    cross = float(np.interp(0.0, gap, factors)) if gap[-1] > 0 > gap[0] else None
    return {"ann_over_snn": float(model.estimate(workload).ann_ratio),
            "crossover_factor": cross}


def expectations() -> dict[str, dict[str, Any]]:
    """What the pages of the computed demos must show, by demo id (about a second)."""
    from core.neurons.relpsp import spike_time

    return {
        "reset": {"spikes_a": _spikes("lif", "soft", 1.0),
                  "spikes_b": _spikes("lif", "hard", 1.0)},
        "fi": {"rheobase_a": _rheobase("lif", 0.5), "rheobase_b": _rheobase("if", 0.5)},
        "euler": {"largest_gap_mv": _euler_gap()},
        "relpsp-neuron": {"relpsp_time": spike_time([1.0, 2.0, 3.0], [0.3] * 3, 1.0),
                          "alpha_time": None},
        "alif": {"spikes_a": _spikes("alif", "soft", 0.3),
                 "spikes_b": _spikes("lif", "soft", 0.3)},
        "ttfs": _ttfs(),
        "yoso-energy": _yoso(),
    }


PROMISES = {
    "reset": "A (soft) fires {spikes_a} spikes, B (hard) {spikes_b}.",
    "fi": "Rheobase: LIF {rheobase_a:.3f}, IF {rheobase_b:.3f} (its first step above 0).",
    "euler": "Largest gap, Euler vs exact: {largest_gap_mv:.3g} mV.",
    "relpsp-neuron": "ReL-PSP spike at t = {relpsp_time:.4g}; the alpha-PSP neuron is silent.",
    "alif": "ALIF (A) fires {spikes_a} spikes, LIF (B) {spikes_b}.",
    "ttfs": "{events} spikes, one per pixel above θ; the brightest pixel fires first.",
    "yoso-energy": "ANN / SNN = {ann_over_snn:.3g}×: the SNN stops winning at "
                   "{crossover_factor:.3g}× these spikes.",
}


def promise(demo_id: str, expect: dict[str, Any] | None) -> str | None:
    """One sentence with the numbers the demo's page shows; None when it needs training."""
    if not expect or demo_id not in PROMISES:
        return None
    return PROMISES[demo_id].format(**expect)


def gallery(with_expectations: bool = True) -> list[dict[str, Any]]:
    """Every demo as JSON, with what its page must show where it is computed at once."""
    expected = expectations() if with_expectations else {}
    return [{**demo.to_json(), "expect": expected.get(demo.id),
             "promise": promise(demo.id, expected.get(demo.id))} for demo in DEMOS]
