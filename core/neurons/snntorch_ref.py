"""The same neurons driven through snnTorch's ``Leaky`` and ``Synaptic`` classes.

SpikeLab's explorer runs the registry's NumPy steps (fast enough to redraw on every slider
move); this module is the cross-check against the library the field uses, and the
``--backend snntorch`` of the command line, for the models snnTorch has (``SNNTORCH_MODELS``).
The surrogate is irrelevant in a forward pass; we pass a Heaviside-equivalent
``fast_sigmoid`` explicitly instead of relying on snnTorch's default.
``snntorch.SpikingNeuron.instances`` grows with every neuron built, so we empty it.
"""

from __future__ import annotations

import numpy as np
import snntorch as snn
import torch
from snntorch import surrogate

from core.neurons.simulation import Neuron, SimulationResult

SNNTORCH_MODELS: tuple[str, ...] = ("if", "lif", "synaptic")
_SNNTORCH_RESET = {"hard": "zero", "soft": "subtract", "none": "none"}


def simulate_snntorch(neuron: Neuron, x: np.ndarray) -> SimulationResult:
    """Simulate with snnTorch; for the synaptic neuron the input is delayed one step.

    That delay turns snnTorch's recurrence into SpyTorch's (see ``core.neurons.synaptic``), so
    the membrane, spikes and returned current trace equal ``core.neurons.simulation.simulate``.
    """
    if neuron.model not in SNNTORCH_MODELS:
        raise ValueError(
            f"The snntorch backend runs the {', '.join(SNNTORCH_MODELS)} neurons, "
            f"not {neuron.model!r}; use --backend spikelab."
        )
    params, synaptic = neuron.params, neuron.model == "synaptic"
    x = np.asarray(x, dtype=np.float64)
    common = {
        "beta": params.beta,
        "threshold": params.threshold,
        "reset_mechanism": _SNNTORCH_RESET[params.reset],
        "spike_grad": surrogate.fast_sigmoid(slope=25),
    }
    drive = torch.from_numpy(x)
    if synaptic:
        layer = snn.Synaptic(alpha=params.alpha, **common)
        drive = torch.cat([torch.zeros_like(drive[:1]), drive[:-1]])
    else:
        layer = snn.Leaky(**common)
    mem_rec, spk_rec, syn_rec = [], [], []
    with torch.no_grad():
        for t in range(drive.shape[0]):
            if synaptic:
                spk, syn, mem = layer(drive[t])
                syn_rec.append(syn)
            else:
                spk, mem = layer(drive[t])
            spk_rec.append(spk)
            mem_rec.append(mem)
    snn.SpikingNeuron.instances.clear()
    traces = {"mem": torch.stack(mem_rec).double().numpy()}
    if syn_rec:  # snnTorch's current at t is SpyTorch's at t - 1: shift it back one step
        syn_sn = torch.stack(syn_rec).double().numpy()
        traces["syn"] = np.concatenate([syn_sn[1:], params.alpha * syn_sn[-1:] + x[-1:]], axis=0)
    return SimulationResult(x, torch.stack(spk_rec).double().numpy(), traces, params.threshold)
