"""Export a trained network to NIR, the Neuromorphic Intermediate Representation.

Pedersen et al. (2024), "Neuromorphic intermediate representation: a unified instruction set
for interoperable brain-inspired computing", Nature Communications 15. The graph is

    input -> [enc (Affine) -> enc_lif (LIF)] -> fc1 (Linear) -> lif1 (CubaLIF) -> fc2 (Linear)
          -> readout (CubaLI) -> output,   plus lif1 -> rec (Linear) -> lif1 when recurrent.

Time constants follow snnTorch's ``export_nir`` convention, which makes NIR's Euler step of
length dt reproduce the discrete update exactly: tau_syn = dt / (1 - alpha),
tau_mem = dt / (1 - beta), r = tau_mem / dt, w_in = tau_syn / dt (so I <- alpha I + x and
U <- beta U + I). Times are in seconds; ``metadata["dt"]`` holds the step. The encoder's
E <- beta_e E + (1 - beta_e) g (x + b) becomes an Affine (g, g b) into a LIF with r = 1.
Weights are exported as the network uses them (tutorial 5's (1 - beta) factor included).
Only the hidden neuron models that map onto a NIR node exactly (``NIR_NEURONS``) are exported.
"""

from __future__ import annotations

import math
from pathlib import Path

import nir
import numpy as np
import torch

from core.training.config import TrainConfig
from core.training.model import Params

NIR_NEURONS: tuple[str, ...] = ("synaptic",)  # the hidden models NIR's CubaLIF computes


def check_exportable(config: TrainConfig) -> None:
    """ValueError (one sentence) when the run's hidden neuron has no exact NIR node."""
    if config.neuron not in NIR_NEURONS:
        raise ValueError(f"NIR export maps only the {', '.join(NIR_NEURONS)} neuron onto NIR's "
                         f"CubaLIF; a network of {config.neuron!r} neurons cannot be exported.")


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def _cuba(n: int, alpha: float, beta: float, dt: float, spiking: bool) -> nir.NIRNode:
    tau_syn, tau_mem = dt / (1.0 - alpha), dt / (1.0 - beta)
    common = dict(
        tau_syn=np.full(n, tau_syn, dtype=np.float32),
        tau_mem=np.full(n, tau_mem, dtype=np.float32),
        r=np.full(n, tau_mem / dt, dtype=np.float32),
        v_leak=np.zeros(n, dtype=np.float32),
        w_in=np.full(n, tau_syn / dt, dtype=np.float32),
    )
    if not spiking:
        return nir.CubaLI(**common)
    return nir.CubaLIF(**common, v_threshold=np.ones(n, dtype=np.float32),
                       v_reset=np.zeros(n, dtype=np.float32))


def to_nir(params: Params, config: TrainConfig, dt_ms: float) -> nir.NIRGraph:
    """The NIR graph of a trained network (``dt_ms``: the step it was trained with)."""
    check_exportable(config)
    cfg = config.with_dt(dt_ms)
    alpha, beta, dt = cfg.alpha, cfg.beta, dt_ms * 1e-3
    gain = (1.0 - beta) if config.normalised else 1.0
    w1, w2 = params["w1"] * gain, params["w2"] * gain
    n_in, hidden = w1.shape
    nodes: dict[str, nir.NIRNode] = {}
    edges: list[tuple[str, str]] = []
    first = "fc1"
    if "enc_gain" in params:
        channels = n_in // config.fan_out
        g, b = params["enc_gain"], params["enc_bias"]
        weight = torch.zeros(n_in, channels)
        weight[torch.arange(n_in), torch.arange(n_in) % channels] = g
        beta_e = math.exp(-dt_ms / config.encoder_tau_ms)
        nodes["enc"] = nir.Affine(weight=_np(weight), bias=_np(g * b))
        nodes["enc_lif"] = nir.LIF(
            tau=np.full(n_in, dt / (1.0 - beta_e), dtype=np.float32),
            r=np.ones(n_in, dtype=np.float32), v_leak=np.zeros(n_in, dtype=np.float32),
            v_threshold=np.ones(n_in, dtype=np.float32), v_reset=np.zeros(n_in, dtype=np.float32),
        )
        edges += [("input", "enc"), ("enc", "enc_lif"), ("enc_lif", "fc1")]
        n_input, first = channels, "enc"
    else:
        n_input = n_in
        edges.append(("input", "fc1"))
    nodes["input"] = nir.Input(input_type={"input": np.array([n_input])})
    nodes["fc1"] = nir.Linear(weight=_np(w1.T))
    nodes["lif1"] = _cuba(hidden, alpha, beta, dt, spiking=True)
    nodes["fc2"] = nir.Linear(weight=_np(w2.T))
    nodes["readout"] = _cuba(w2.shape[1], alpha, beta, dt, spiking=False)
    nodes["output"] = nir.Output(output_type={"output": np.array([w2.shape[1]])})
    edges += [("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "readout"), ("readout", "output")]
    if params.get("v1") is not None:
        nodes["rec"] = nir.Linear(weight=_np(params["v1"] * gain).T)
        edges += [("lif1", "rec"), ("rec", "lif1")]
    metadata = {"dt": dt, "source": "SpikeLab", "reset": "zero, from the previous step",
                "first_layer": first}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata)


def write_nir(params: Params, config: TrainConfig, dt_ms: float, path: str | Path) -> Path:
    """Write the graph to an HDF5 ``.nir`` file and return its path."""
    path = Path(path).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        nir.write(path, to_nir(params, config, dt_ms))
    except OSError as exc:
        raise ValueError(f"Cannot write the NIR file {path} ({exc}).") from exc
    return path


def from_nir(graph: nir.NIRGraph) -> tuple[Params, float, float, float | None]:
    """Effective weights, alpha, beta and the encoder's beta (None without encoder).

    The inverse of ``to_nir``; the weights come back with any (1 - beta) factor applied.
    """
    dt = float(graph.metadata["dt"])
    lif1 = graph.nodes["lif1"]
    alpha = 1.0 - dt / float(np.asarray(lif1.tau_syn).flat[0])
    beta = 1.0 - dt / float(np.asarray(lif1.tau_mem).flat[0])
    params: Params = {
        "w1": torch.as_tensor(np.asarray(graph.nodes["fc1"].weight)).T.contiguous(),
        "w2": torch.as_tensor(np.asarray(graph.nodes["fc2"].weight)).T.contiguous(),
    }
    if "rec" in graph.nodes:
        params["v1"] = torch.as_tensor(np.asarray(graph.nodes["rec"].weight)).T.contiguous()
    beta_e = None
    if "enc" in graph.nodes:
        weight = torch.as_tensor(np.asarray(graph.nodes["enc"].weight))
        n = weight.shape[0]
        g = weight[torch.arange(n), torch.arange(n) % weight.shape[1]]
        params["enc_gain"] = g
        params["enc_bias"] = torch.as_tensor(np.asarray(graph.nodes["enc"].bias)) / g
        beta_e = 1.0 - dt / float(np.asarray(graph.nodes["enc_lif"].tau).flat[0])
    return params, alpha, beta, beta_e
