"""NeuroBench's own counts of a saved run, beside SpikeLab's.

NeuroBench (Yik et al., "The NeuroBench framework for benchmarking neuromorphic computing
algorithms and systems", Nature Communications 16, 1545, 2025; the ``neurobench`` package, 2.3)
measures a model through hooks on its ``torch.nn`` layers. ``equivalent_model`` builds, from an
imported network (a ``nir`` run, or a surrogate run through its exact NIR export), a torch module
that steps snnTorch neurons (``snn.Leaky``, ``snn.Synaptic``) with the run's weights in
``nn.Linear``/``nn.Conv2d`` layers: the same spikes as SpikeLab's simulation (the input delays
and the current order sit in its ``forward``, outside the hooked layers). ``compare`` runs
NeuroBench's ``Benchmark`` with ``SynapticOperations``, ``ActivationSparsity``,
``MembraneUpdates`` and ``Footprint`` on test samples, and SpikeLab's operation model on the
same samples.

Conventions. Both count an accumulate (AC) per spike per non-zero synapse it reaches and
exclude biases. They differ where SpikeLab's hardware model charges every spike its whole
fan-out: NeuroBench counts only what the recurrent layer computed inside the window (the last
step's spikes drive no recurrent operation), it charges an analog input (Braille's encoder
input) as MACs, which SpikeLab's model of a surrogate run leaves out, and its activation
sparsity covers spiking layers only (SpikeLab's surrogate runs count the readout as silent).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import torch
from torch import nn

from core.interop.nir_graph import ImportedNet, Layer, import_graph
from core.interop.nir_layers import Op, Population

SNN_MODELS = ("lif", "if", "cuba", "synaptic")
CHUNK = 256  # samples per NeuroBench batch


class _Reshape(nn.Module):
    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


def _torch_op(op: Op) -> nn.Module:
    if op.kind == "flatten":
        return _Reshape(op.out_shape)
    w = torch.as_tensor(op.weight, dtype=torch.float32)
    bias = op.bias is not None
    if op.kind == "dense":
        mod: nn.Module = nn.Linear(w.shape[1], w.shape[0], bias=bias)
    else:
        mod = nn.Conv2d(w.shape[1] * op.conv["groups"], w.shape[0], tuple(w.shape[2:]),
                        bias=bias, **op.conv)
    with torch.no_grad():
        mod.weight.copy_(w)
        if bias:
            mod.bias.copy_(torch.as_tensor(op.bias, dtype=torch.float32))
    return mod


def _neuron(pop: Population) -> tuple[nn.Module, int]:
    """The snnTorch neuron of a spiking population and the steps its input is delayed."""
    import snntorch as snn

    beta, thr = torch.as_tensor(pop.beta).float(), torch.as_tensor(pop.threshold).float()
    if pop.model in ("lif", "if"):
        return snn.Leaky(beta=beta, threshold=thr, reset_mechanism="zero", reset_delay=False,
                         init_hidden=True), pop.delay
    alpha = torch.as_tensor(pop.alpha).float()
    if pop.model == "synaptic":  # SpyTorch's order: snn.Synaptic one step late, delayed reset
        return snn.Synaptic(alpha=alpha, beta=beta, threshold=thr, reset_mechanism="zero",
                            init_hidden=True), pop.delay + 1
    if torch.as_tensor(pop.bias).abs().max() > 0:
        raise ValueError(f"Layer {pop.name!r} has a membrane leak potential (v_leak), which "
                         "snnTorch's Synaptic lacks; NeuroBench cannot count it.")
    return snn.Synaptic(alpha=alpha, beta=beta, threshold=thr, reset_mechanism="zero",
                        reset_delay=False, init_hidden=True), 0 if pop.current_first else 1


class _Stage(nn.Module):
    """One layer stepped one time step at a time."""

    def __init__(self, layer: Layer) -> None:
        super().__init__()
        pop = self.pop = layer.neurons
        self.ops = nn.ModuleList(_torch_op(op) for op in layer.ops)
        self.rec = _torch_op(layer.recurrent) if layer.recurrent is not None else None
        self.register_buffer("scale", torch.as_tensor(pop.scale).float(), persistent=False)
        self.register_buffer("bias", torch.as_tensor(pop.bias).float(), persistent=False)
        self.neuron, self.delay = _neuron(pop) if pop.spiking else (None, 0)
        self.reset_state()

    def reset_state(self) -> None:
        self.queue: deque = deque()
        self.prev: torch.Tensor | None = None
        self.state: tuple[Any, Any] | None = None

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for op in self.ops:
            h = op(h)
        if self.rec is not None:
            h = h + self.rec(self.prev if self.prev is not None else torch.zeros_like(h))
        if self.neuron is None:
            return self._readout(h)
        drive = self.scale * h + (0.0 if self.pop.model == "cuba" else self.bias)
        self.queue.append(drive)
        drive = self.queue.popleft() if len(self.queue) > self.delay else torch.zeros_like(drive)
        self.prev = self.neuron(drive)
        return self.prev

    def _readout(self, h: torch.Tensor) -> torch.Tensor:
        pop = self.pop
        syn, mem = self.state or (torch.zeros_like(h), torch.zeros_like(h))
        if pop.model == "identity":
            return h
        if pop.model == "li":
            mem = torch.as_tensor(pop.beta).float() * mem + self.scale * h + self.bias
        else:
            new = torch.as_tensor(pop.alpha).float() * syn + self.scale * h
            mem = torch.as_tensor(pop.beta).float() * mem + (new if pop.current_first else syn)
            mem, syn = mem + self.bias, new
        self.state = (syn, mem)
        return mem


class EquivalentNet(nn.Module):
    """Steps the stages over data [B, T, ...] and returns the output [T, B, ...]."""

    def __init__(self, net: ImportedNet) -> None:
        super().__init__()
        self.input_shape = net.input_shape
        self.stages = nn.ModuleList(_Stage(layer) for layer in net.layers)

    def forward(self, data: torch.Tensor) -> torch.Tensor:
        from snntorch import utils

        utils.reset(self)
        for stage in self.stages:
            stage.reset_state()
        outs = []
        for t in range(data.shape[1]):
            h = data[:, t].reshape(data.shape[0], *self.input_shape)
            for stage in self.stages:
                h = stage(h)
            outs.append(h)
        return torch.stack(outs)


def equivalent_model(net: ImportedNet) -> EquivalentNet:
    """A torch module with snnTorch neurons that fires SpikeLab's spikes of ``net``."""
    return EquivalentNet(net)


def run_network(run: Any) -> ImportedNet:
    """The network of a ``nir`` run, or of a surrogate run through its exact NIR export."""
    if run.kind == "nir":
        from core.interop.nir_run import load_net

        return load_net(run)
    if run.kind != "surrogate":
        raise ValueError(f"NeuroBench's counts are computed for surrogate and nir runs, not "
                         f"{run.kind!r} runs.")
    from core.training.config import TrainConfig
    from core.training.nir_export import to_nir

    config = TrainConfig.from_dict(run.config)
    dt_ms = float(run.metrics.get("dt_ms") or config.dt_ms)
    return import_graph(to_nir(run.load_weights(), config, dt_ms))


class _Loader:
    """What ``Benchmark`` reads of a DataLoader: batches [B, T, ...] with labels, and lengths."""

    def __init__(self, chosen: Any) -> None:
        self.chosen = chosen
        self.dataset = range(chosen.count)

    def __len__(self) -> int:
        return -(-self.chosen.count // CHUNK)

    def __iter__(self) -> Any:
        for x, labels in self.chosen.chunks(CHUNK):
            yield x.transpose(0, 1).contiguous(), labels


def neurobench_counts(net: ImportedNet, chosen: Any) -> dict[str, Any]:
    """NeuroBench's metrics of ``net`` on test samples (``nir_run.TestSamples``), per sample."""
    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.static import Footprint
    from neurobench.metrics.workload import (
        ActivationSparsity,
        MembraneUpdates,
        SynapticOperations,
    )
    from neurobench.models import SNNTorchModel

    model = SNNTorchModel(equivalent_model(net), custom_forward=True)
    bench = Benchmark(model, _Loader(chosen), [], [],
                      [[Footprint], [SynapticOperations, ActivationSparsity, MembraneUpdates]])
    results = bench.run(quiet=True)
    synops = results["SynapticOperations"]
    return {
        "neurobench_acs": float(synops["Effective_ACs"]),
        "neurobench_macs": float(synops["Effective_MACs"]),
        "neurobench_dense": float(synops["Dense"]),
        "activation_sparsity": float(results["ActivationSparsity"]),
        "membrane_updates": float(results["MembraneUpdates"]),
        "footprint_bytes": int(results["Footprint"]),
    }


def spikelab_workload(run: Any, net: ImportedNet, metrics: dict[str, Any]) -> Any:
    """SpikeLab's workload of ``run`` with the counts measured on the compared samples."""
    from types import SimpleNamespace

    from core.hardware.runs import nir_workload, workload_from_run

    if run.kind == "nir":
        view = SimpleNamespace(id=run.id, kind="nir", config=run.config, metrics=metrics)
        return nir_workload(view)
    spikes = [s for s in metrics["spikes_per_layer"] if s is not None]
    return workload_from_run(run, spikes=[spikes[-2], spikes[-1], 0.0])


def compare(run: Any, dataset: str | None = None, samples: int = 100,
            data_path: str | None = None, download: bool = True) -> dict[str, Any]:
    """NeuroBench's counts and SpikeLab's on the same ``samples`` test samples of a run."""
    from core.hardware.ops import OpsModel
    from core.interop.nir_run import measure, test_samples, widest

    net = run_network(run)
    dataset = dataset or run.config.get("dataset") or run.metrics.get("dataset")
    if not dataset:
        raise ValueError(f"Run {run.id} names no data set: give one (--dataset).")
    steps = run.config.get("steps") if run.kind == "surrogate" else run.metrics.get("time_steps")
    chosen = test_samples(dataset, data_path, samples, steps, download, hidden=widest(net),
                          encoding=str(run.metrics.get("input_encoding", "spikes")))
    metrics = measure(net, chosen, dataset)
    report = OpsModel().estimate(spikelab_workload(run, net, metrics))
    theirs = neurobench_counts(net, chosen)
    acs = theirs["neurobench_acs"]
    return {
        "run_id": run.id, "dataset": dataset, "samples": chosen.count,
        "time_steps": metrics["time_steps"], "synaptic_ops": report.synaptic_ops,
        "spikelab_activation_sparsity": report.activation_sparsity, **theirs,
        "synops_ratio": report.synaptic_ops / acs if acs else None,
        "spikelab_nir_count": metrics["effective_acs"],
    }


def energy_fields(run: Any, samples: int = 100, dataset: str | None = None,
                  data_path: str | None = None, download: bool = True) -> dict[str, Any]:
    """What ``energy --run ID --neurobench`` adds: NeuroBench's counts and the ratio of
    SpikeLab's synaptic operations to NeuroBench's effective ACs on the same test samples."""
    c = compare(run, dataset, samples, data_path, download)
    return {
        "neurobench_acs": c["neurobench_acs"],
        "neurobench_macs": c["neurobench_macs"],
        "neurobench_activation_sparsity": c["activation_sparsity"],
        "neurobench_membrane_updates": c["membrane_updates"],
        "neurobench_footprint_bytes": c["footprint_bytes"],
        "synops_ratio": c["synops_ratio"],
        "neurobench_samples": c["samples"],
        "neurobench_dataset": c["dataset"],
        "spikelab_synaptic_ops_same_samples": c["synaptic_ops"],
    }
