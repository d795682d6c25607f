"""The workload of a saved run: its architecture and spikes per frame, from the run store.

Layer sizes come from the configuration (``sizes``), from ``metrics["layer_sizes"]`` (ReL-PSP
runs, whose weights carry an extra bias row), or from the weights (``"surrogate"`` runs: ``w1``
[inputs, hidden], optional recurrent ``v1``, ``w2`` [hidden, outputs]; other fully connected
runs: the chain of weight matrices); ``"nas"`` runs give ``architecture``, ``pool_after`` and
``time_steps``, and their data set's image shape and classes come from the data registry.
Spikes per frame come from ``metrics["spikes_per_layer"]``: per sample, summed over time steps,
one count per layer with the input first (for NAS runs: one per conv layer). A run without them
needs the counts given. ``"nir"`` runs (imported NIR graphs) take their layers, non-zero fan-outs
and counts from what ``python -m core simulate-net`` recorded (``nir_workload``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.data.registry import DATASET_INFO
from core.hardware.workload import LayerLoad, Workload, conv_workload, fc_workload

SPIKES_KEY = "spikes_per_layer"


def workload_from_run(run: Any, spikes: Sequence[float] | None = None) -> Workload:
    """The workload of ``run`` (a ``core.store.Run``); ``spikes`` overrides the recorded counts."""
    label = f"run {run.id} ({run.kind})"
    if run.kind == "nas":
        return _nas_workload(run, spikes, label)
    if run.kind == "nir":
        return nir_workload(run, spikes, label)
    sizes, recurrent = fc_sizes(run)
    counts = _spike_counts(run, spikes, len(sizes), label, sizes)
    steps = int(run.config.get("steps") or run.config.get("time_steps") or 1)
    return fc_workload(sizes, counts, time_steps=steps, recurrent=recurrent, label=label)


def fc_sizes(run: Any) -> tuple[tuple[int, ...], bool]:
    """Layer sizes (input first) of a fully connected run and whether it is recurrent."""
    if run.config.get("arch") == "conv":
        raise ValueError(
            f"Run {run.id} is a convolutional ReL-PSP network: the mesh model takes fully "
            "connected layers. Type an architecture of the same size instead."
        )
    candidates = [run.config.get(k) for k in ("sizes", "layer_sizes", "architecture")]
    candidates.append(run.metrics.get("layer_sizes"))
    for value in candidates:
        if isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
            return tuple(value), bool(run.config.get("recurrent"))
    if not run.has_weights:
        raise ValueError(
            f"Run {run.id} has no saved weights and no layer sizes in its configuration: type "
            "its architecture instead."
        )
    weights = run.load_weights() if run.weights is not None else {}
    shapes = {name: tuple(t.shape) for name, t in weights.items()}
    if "w1" in shapes and "w2" in shapes:  # the SpyTorch network
        n_in, hidden = shapes["w1"]
        return (n_in, hidden, shapes["w2"][1]), "v1" in shapes
    return _chain([s for s in shapes.values() if len(s) == 2], run.id), False


def _chain(matrices: list[tuple[int, ...]], run_id: int) -> tuple[int, ...]:
    """Layer sizes from weight matrices in order, each [in, out] or [out, in] (as nn.Linear)."""
    if not matrices:
        raise ValueError(f"Run {run_id} holds no weight matrices to read its layer sizes from.")
    first, rest = matrices[0], matrices[1:]
    for sizes in ([first[0], first[1]], [first[1], first[0]]):
        for a, b in rest:
            if b == sizes[-1] and a != sizes[-1]:
                sizes.append(a)
            elif a == sizes[-1]:
                sizes.append(b)
            else:
                break
        else:
            return tuple(sizes)
    raise ValueError(f"The weight matrices of run {run_id} do not chain into layers.")


def _spike_counts(run: Any, spikes: Sequence[float] | None, layers: int, label: str,
                  sizes: Sequence[int] = ()) -> tuple[float, ...]:
    counts = spikes if spikes is not None else run.metrics.get(SPIKES_KEY)
    if counts is None:
        shape = "-".join(map(str, sizes)) if sizes else f"{layers} layers"
        raise ValueError(
            f"{label.capitalize()} ({shape}) records no per-layer spike counts "
            f"(metrics['{SPIKES_KEY}'], per sample, input first). Give them, one per layer."
        )
    counts = [float(c) for c in counts]
    if len(counts) == layers - 1 and spikes is None:
        counts.append(0.0)  # a non-spiking readout records no count
    if len(counts) != layers:
        raise ValueError(
            f"{label.capitalize()} has {layers} layers but {len(counts)} spike counts were given."
        )
    return tuple(counts)


def _nas_workload(run: Any, spikes: Sequence[float] | None, label: str) -> Workload:
    config: Mapping[str, Any] = run.config
    arch = config.get("architecture") or {}
    if arch.get("model") == "dnn":
        raise ValueError(
            f"Run {run.id} is the DNN baseline: it has no spikes. Its energy is the ANN figure "
            "of any SNN trial with the same layers."
        )
    dataset = str(config.get("dataset", ""))
    info = DATASET_INFO.get(dataset)
    if info is None or info.kind != "image":
        raise ValueError(f"Run {run.id} searched {dataset!r}, whose image shape is not known.")
    shape, classes = _trained_shape(config, info.image_shape), info.num_classes
    layers = [tuple(layer) for layer in arch.get("layers") or ()]
    if not layers:
        raise ValueError(f"Run {run.id} records no architecture.")
    counts = spikes if spikes is not None else run.metrics.get(SPIKES_KEY)
    if counts is None:
        raise ValueError(
            f"Run {run.id} records no per-layer spike counts (metrics['{SPIKES_KEY}'], one per "
            "conv layer, per sample). Give them, one per conv layer."
        )
    return conv_workload(shape, layers, config.get("pool_after") or (), classes,
                         [float(c) for c in counts], int(config.get("time_steps") or 1), label)


def _trained_shape(config: Mapping[str, Any], loaded: tuple[int, int, int]) -> tuple[int, ...]:
    """The image shape the network was trained on: the run's ``input_shape`` (a proxy search
    may average the images, e.g. 28x28 -> 14x14), else the data set's as loaded."""
    shape = config.get("input_shape")
    valid = (isinstance(shape, list | tuple) and len(shape) == 3
             and all(isinstance(d, int) and 0 < d <= 4096 for d in shape))
    return tuple(shape) if valid else loaded


def nir_workload(run: Any, spikes: Sequence[float | None] | None = None,
                 label: str = "") -> Workload:
    """An imported NIR network (kind ``"nir"``) after ``simulate-net`` recorded its counts.

    Each layer projects through its non-zero weights (``projections[i]["fan_out"]`` per input,
    plus its own size when recurrent); a layer that does not spike (an analog input, a leaky
    readout) drives the MACs that ``simulate-net`` measured. ``spikes`` overrides the counts.
    """
    m = run.metrics
    label = label or f"run {run.id} (nir)"
    sizes, projections = m.get("layer_sizes"), m.get("projections")
    counts = list(spikes) if spikes is not None else m.get(SPIKES_KEY)
    if not sizes or not projections or counts is None:
        raise ValueError(
            f"{label.capitalize()} records no spike counts yet: run `python -m core "
            f"simulate-net --run {run.id} --dataset ...` first."
        )
    if len(counts) != len(sizes):
        raise ValueError(f"{label.capitalize()} has {len(sizes)} layers but {len(counts)} spike "
                         "counts were given.")
    neurons = run.config.get("neurons") or [{} for _ in projections]
    layers = []
    for i, (n, count) in enumerate(zip(sizes, counts, strict=True)):
        out = projections[i] if i < len(projections) else None
        rec = projections[i - 1] if i > 0 else {}
        recurrent = bool(rec.get("recurrent_fan_out"))
        fan = _fan_out(out, count) + (_whole(rec["recurrent_fan_out"]) if recurrent else 0)
        steps = int(m.get("time_steps") or 1)
        ann = round(((out or {}).get("dense", 0.0) + rec.get("recurrent_dense", 0.0)) / steps)
        name = "input" if i == 0 else str(neurons[i - 1].get("layer", f"layer {i}"))
        spiking = count is not None
        layers.append(LayerLoad(name, int(n), float(count) if spiking else None, fan,
                                ann_macs=int(ann), recurrent=recurrent,
                                snn_macs=0 if spiking or not out else round(out["macs"])))
    return Workload(tuple(layers), int(m.get("time_steps") or 1), label)


def _fan_out(projection: Mapping[str, Any] | None, spikes: float | None) -> float:
    """Synapses one spike drives: the same for every input (dense), else the measured mean per
    spike (a convolution's border inputs reach fewer), so spikes x fan-out = the effective ACs."""
    if not projection:
        return 0
    if projection.get("fan_out_uniform", True) or not spikes:
        return _whole(projection.get("fan_out"))
    return float(projection["acs"]) / float(spikes)


def _whole(value: float | None) -> float:
    """A mean fan-out: a whole number when it is one (so YOSO sees a dense projection)."""
    if value is None:
        return 0
    return int(round(value)) if abs(value - round(value)) < 1e-9 else float(value)


def describe_run(run: Any) -> str:
    """One line for a run picker: id, kind, data set and neuron (when saved), name, accuracy."""
    m = run.metrics
    acc = m.get("test_accuracy", m.get("val_accuracy", m.get("accuracy")))
    parts = [f"#{run.id}", run.kind]
    parts += [str(run.config[k]) for k in ("dataset", "neuron") if run.config.get(k)]
    if run.kind == "nir":  # an imported network: the data set it was simulated on, if any
        parts += [str(m["dataset"])] if m.get("dataset") else ["not simulated yet"]
    if run.name:
        parts.append(run.name)
    if isinstance(acc, int | float):
        parts.append(f"accuracy {acc:.3f}")
    return " · ".join(parts)
