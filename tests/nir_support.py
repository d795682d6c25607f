"""NIR graphs written with the ``nir`` package as the libraries write them, for the NIR tests.

Input, Affine, LIF, Linear, CubaLIF, Output with explicit shapes; time constants chosen so that
snnTorch's ``import_from_nir`` (dt = 1e-4 s, r = tau/dt) reads them without rescaling.
"""

from __future__ import annotations

import nir
import numpy as np
import torch

DT = 1e-4  # snnTorch's import_from_nir step


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def lif(n: int, tau: float = 1e-3, threshold: float = 1.0) -> nir.LIF:
    return nir.LIF(tau=_f32(np.full(n, tau)), r=_f32(np.full(n, tau / DT)),
                   v_leak=_f32(np.zeros(n)), v_threshold=_f32(np.full(n, threshold)),
                   v_reset=_f32(np.zeros(n)))


def cuba_lif(n: int, tau_syn: float = 5e-4, tau_mem: float = 1e-3) -> nir.CubaLIF:
    return nir.CubaLIF(tau_syn=_f32(np.full(n, tau_syn)), tau_mem=_f32(np.full(n, tau_mem)),
                       r=_f32(np.full(n, tau_mem / DT)), v_leak=_f32(np.zeros(n)),
                       v_threshold=_f32(np.ones(n)), v_reset=_f32(np.zeros(n)),
                       w_in=_f32(np.full(n, tau_syn / DT)))


def library_graph(n_in: int = 4, hidden: int = 6, n_out: int = 5, seed: int = 0,
                  gain: float = 1.5) -> nir.NIRGraph:
    """input -> fc1 (Affine) -> lif1 (LIF) -> fc2 (Linear) -> lif2 (CubaLIF) -> output."""
    rng = np.random.default_rng(seed)
    nodes = {
        "input": nir.Input(input_type={"input": np.array([n_in])}),
        "fc1": nir.Affine(weight=_f32(gain * rng.normal(size=(hidden, n_in))),
                          bias=_f32(0.05 * rng.normal(size=hidden))),
        "lif1": lif(hidden),
        "fc2": nir.Linear(weight=_f32(gain * rng.normal(size=(n_out, hidden)))),
        "lif2": cuba_lif(n_out),
        "output": nir.Output(output_type={"output": np.array([n_out])}),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"),
             ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def snntorch_spikes(graph: nir.NIRGraph, x: torch.Tensor, layers: tuple[str, ...]
                    ) -> dict[str, torch.Tensor]:
    """Spikes [T, B, n] of ``layers`` when snnTorch 1.0's ``import_from_nir`` runs ``x``."""
    import snntorch as snn
    from snntorch import utils
    from snntorch.import_nir import import_from_nir

    net = import_from_nir(graph)
    record: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
    for name in layers:
        getattr(net, name).register_forward_hook(
            lambda _m, _i, out, name=name: record[name].append(
                out[0] if isinstance(out, tuple) else out))
    utils.reset(net)
    with torch.no_grad():
        for t in range(x.shape[0]):
            net(x[t])
    snn.SpikingNeuron.instances.clear()
    return {name: torch.stack(values) for name, values in record.items()}
