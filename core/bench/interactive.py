"""The interactive pages' budgets: ``bench --suite explorer`` and ``bench --suite playground``.

- explorer: what the Neuron dynamics page computes on one redraw (neurons A and B, their f-I
  curves, the exact-vs-Euler comparison and the ReL-PSP panel) against the 50 ms
  interactivity budget, and one neuron simulated by SpikeLab and through snnTorch's classes;
- playground: training steps per second of the SNN Playground's network, and one map redraw.

Each is the median of its repeats after one warm-up call (``core.bench.timing.median_ms``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from core.bench.timing import Say, median_ms

#: The Neuron dynamics page's redraw budget and the Playground's targets.
EXPLORER_BUDGET_MS = 50.0
PLAYGROUND_STEPS_PER_SECOND = 10.0
PLAYGROUND_REDRAW_MS = 200.0


def page_compute(steps: int) -> Callable[[], object]:
    """One redraw of the Neuron dynamics page with both neurons and every panel on."""
    from core.explorer import ExplorerConfig, compare_euler, explore
    from core.neurons.physical import MembraneODE
    from core.neurons.relpsp import grid_spike_time, spike_time
    from core.neurons.simulation import Neuron
    from core.stimuli import InputSpec

    config = ExplorerConfig(
        a=Neuron.make("synaptic", reset="hard"),
        b=Neuron.make("lif", reset="soft"),
        stimulus=InputSpec("poisson", amplitude=0.5, rate=0.3),
        steps=steps,
    )
    ode = MembraneODE(e_leak=-65.0, resistance=10.0, v_threshold=-50.0)
    times, weights = np.array([1.0, 2.0, 3.0]), np.array([0.3, 0.3, 0.3])

    def run() -> object:
        explore(config)
        compare_euler(ode, 2.0, 500.0, "hard")  # the longest duration the page offers
        spike_time(list(times), list(weights), 1.0)
        return grid_spike_time(times, weights, 1.0, 10.0, resolution=10.0 / 4000, kernel="alpha")

    return run


def run_explorer(steps: int, repeats: int, progress: Say) -> dict[str, Any]:
    """The explorer suite's JSON: one page redraw and one neuron, SpikeLab against snnTorch."""
    from core.neurons.simulation import Neuron, simulate
    from core.neurons.snntorch_ref import simulate_snntorch

    progress(f"timing one page redraw at {steps} steps ({repeats} repeats)")
    page_ms = median_ms(page_compute(steps), repeats)
    params = Neuron.make("synaptic", reset="hard")
    x = np.random.default_rng(0).random(steps)
    progress("timing one neuron: SpikeLab vs snnTorch classes")
    ours_ms = median_ms(lambda: simulate(params, x), repeats)
    snn_ms = median_ms(lambda: simulate_snntorch(params, x), max(3, repeats // 3))
    return {
        "suite": "explorer",
        "page_compute_ms": page_ms,
        "budget_ms": EXPLORER_BUDGET_MS,
        "of_budget": page_ms / EXPLORER_BUDGET_MS,
        "neuron_ms": ours_ms,
        "snntorch_neuron_ms": snn_ms,
        "speedup_vs_snntorch": snn_ms / ours_ms,
        "config": {"steps": steps, "repeats": repeats},
    }


def run_playground(repeats: int, progress: Say) -> dict[str, Any]:
    """The playground suite's JSON: training steps per second of the 2-8-8-2 network, and
    one map redraw."""
    from core.playground.session import Playground, PlaygroundConfig

    playground = Playground(PlaygroundConfig())
    progress("timing playground training steps and map redraws")
    step_ms = median_ms(lambda: playground.train_steps(1), repeats)
    maps_ms = median_ms(lambda: (playground.maps(40), playground.evaluate()), repeats)
    return {
        "suite": "playground",
        "steps_per_second": 1000.0 / step_ms,
        "target_steps_per_second": PLAYGROUND_STEPS_PER_SECOND,
        "redraw_ms": maps_ms,
        "redraw_budget_ms": PLAYGROUND_REDRAW_MS,
        "config": {
            "network": "2-8-8-2 (population code, 12 inputs)",
            "time_steps": 20,
            "batch": 32,
            "grid": 40,
        },
    }
