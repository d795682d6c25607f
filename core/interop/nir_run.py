"""Imported NIR networks in the run store (kind ``"nir"``), and their simulation on data.

``import_nir`` checks a ``.nir`` file, stores it (the file's bytes as the run's only weight
tensor, ``nir_file``, so it is re-read exactly) with its layer sizes and discrete-time neuron
parameters, and returns the command line's JSON. ``simulate_run`` encodes test samples of a
data set as SpikeLab's trainer does (time-to-first-spike for images, values as currents for
Braille, the data set's default steps), runs the network, and stores on the run the spike counts
per layer and NeuroBench's operation counts, which ``core.hardware.runs`` prices.
``trace_sample`` gives one sample's rasters and membranes for the run inspector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.interop.nir_graph import ImportedNet, import_graph, read_graph
from core.interop.nir_sim import SimResult, simulate

KIND = "nir"
NIR_FILE = "nir_file"
SIM_DATASETS: tuple[str, ...] = ("digits", "braille", "fashion-mnist")


def input_width(dataset: str) -> int:
    """Values per time step that ``encode`` gives for ``dataset`` (pixels, or channels)."""
    from core.data.registry import dataset_info

    info = dataset_info(dataset)
    shape = info.input_shape
    return int(np.prod(shape)) if info.kind == "image" else int(shape[-1])


def matching_datasets(layer_sizes: list[int]) -> list[str]:
    """The data sets whose encoded input fits a network's first layer (for a page's picker)."""
    return [name for name in SIM_DATASETS if input_width(name) == layer_sizes[0]]


def import_nir(source: str | Path | bytes, store: Any, name: str = "", dt: float | None = None,
               order: str = "euler") -> dict[str, Any]:
    """Check and store a NIR graph (a path or the file's bytes); its JSON summary."""
    raw = source if isinstance(source, bytes) else _read_bytes(source)
    where = None if isinstance(source, bytes) else str(Path(source).expanduser())
    net = import_graph(read_graph(raw, label=where), dt=dt, order=order)
    label = name or (Path(source).name if not isinstance(source, bytes) else "uploaded.nir")
    summary = {
        "layer_sizes": net.layer_sizes,
        "input_shape": list(net.input_shape),
        "neurons": net.describe(),
        "dt_s": net.dt,
        "order": net.order,
        "dialect": net.dialect,
        "source": net.source or "unknown",
        "recurrent": any(layer.recurrent is not None for layer in net.layers),
    }
    weights = {NIR_FILE: torch.frombuffer(bytearray(raw), dtype=torch.uint8)}
    run_id = store.save_run(KIND, summary, metrics={"layer_sizes": net.layer_sizes},
                            weights=weights, name=label)
    return {"run_id": run_id, "name": label, **summary}


def _read_bytes(path: str | Path) -> bytes:
    path = Path(path).expanduser()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"There is no readable NIR file at {path} ({exc.strerror}).") from None


def load_net(run: Any) -> ImportedNet:
    """The network of a stored ``nir`` run, read back with the options it was imported with."""
    if run.kind != KIND:
        raise ValueError(f"Run {run.id} is a {run.kind!r} run, not an imported NIR network.")
    blob = run.load_weights().get(NIR_FILE)
    if blob is None:
        raise ValueError(f"Run {run.id} holds no NIR file.")
    graph = read_graph(bytes(blob.numpy().tobytes()))
    return import_graph(graph, dt=float(run.config["dt_s"]), order=str(run.config["order"]))


def encode(dataset: str, data_path: str | None, samples: int, steps: int | None = None,
           download: bool = True, first: int = 0) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """Test samples ``first``.. ``first + samples`` as network input [T, B, ...], labels, classes.

    Images become one spike per pixel by time-to-first-spike coding and time series stay
    currents, as SpikeLab's trainer feeds them (``core.training.inputs``).
    """
    from core.data.registry import load_dataset
    from core.training.defaults import default_config
    from core.training.inputs import batch_input, prepare

    if samples < 1:
        raise ValueError(f"Simulate at least one sample (got {samples}).")
    config = default_config(dataset, steps=steps, max_train=1, max_test=first + samples)
    data = prepare(load_dataset(dataset, data_path, download=download), config)
    if first >= len(data.x_test):
        raise ValueError(f"{dataset} has {len(data.x_test)} test samples; there is no sample "
                         f"{first}.")
    x = batch_input(data, data.x_test[first:first + samples], config, torch.device("cpu"))
    return x, data.y_test[first:first + samples], data.classes


def _per_sample(result: SimResult, samples: int) -> dict[str, Any]:
    """Spike counts per layer and NeuroBench's counts, per sample."""
    spikes = [None if layer.spikes is None else float(layer.spikes.sum()) / samples
              for layer in result.layers]
    fired = sum(float(x.spikes.sum()) for x in result.layers[1:] if x.spikes is not None)
    slots = sum(x.spikes.numel() for x in result.layers[1:] if x.spikes is not None)
    projections = [
        {"into": layer.name, "acs": c.acs / samples, "macs": c.macs / samples,
         "dense": c.dense / samples, "fan_out": c.fan_out, "fan_out_uniform": c.uniform,
         "recurrent_acs": r.acs / samples if r else 0.0,
         "recurrent_dense": r.dense / samples if r else 0.0,
         "recurrent_fan_out": r.fan_out if r else None}
        for layer, c, r in zip(result.layers[1:], result.counts, result.recurrent, strict=True)
    ]
    return {
        "spikes_per_layer": spikes,
        "projections": projections,
        "effective_acs": sum(p["acs"] + p["recurrent_acs"] for p in projections),
        "effective_macs": sum(p["macs"] for p in projections),
        "dense_ops": sum(p["dense"] + p["recurrent_dense"] for p in projections),
        "activation_sparsity": 1.0 - fired / slots if slots else None,
    }


def simulate_run(store: Any, run_id: int, dataset: str, data_path: str | None = None,
                 samples: int = 100, steps: int | None = None, download: bool = True
                 ) -> dict[str, Any]:
    """Run a stored ``nir`` network on ``samples`` test samples; store and return the counts."""
    run = store.get_run(run_id)
    net = load_net(run)
    x, labels, classes = encode(dataset, data_path, samples, steps, download)
    metrics = measure(net, x, labels, classes, dataset)
    store.update_metrics(run_id, metrics)
    note = None if metrics["accuracy"] is not None else (
        f"The output layer has {net.layer_sizes[-1]} units and {dataset} has {len(classes)} "
        "classes, so no readout maps to its classes.")
    return {"run_id": run_id, **metrics, "accuracy_note": note}


def measure(net: ImportedNet, x: torch.Tensor, labels: torch.Tensor, classes: tuple,
            dataset: str) -> dict[str, Any]:
    """Accuracy (None without a readout per class), spikes and NeuroBench-style counts."""
    _check_width(net, x, dataset)
    result = simulate(net, x)
    n = int(x.shape[1])
    scores = result.scores
    accuracy = None
    if scores.shape[1] == len(classes):
        accuracy = float((scores.argmax(1) == labels).float().mean())
    return {
        "dataset": dataset, "samples": n, "time_steps": int(x.shape[0]),
        "layer_sizes": net.layer_sizes, "layer_names": [x.name for x in result.layers],
        "input_spikes": result.input_binary, "accuracy": accuracy,
        **_per_sample(result, n),
    }


def _check_width(net: ImportedNet, x: torch.Tensor, dataset: str) -> None:
    width = int(np.prod(x.shape[2:]))
    if width != net.layer_sizes[0]:
        raise ValueError(f"The network takes {net.layer_sizes[0]} inputs per step (shape "
                         f"{net.input_shape}); {dataset} gives {width} per step.")


def trace_sample(run: Any, dataset: str, index: int = 0, data_path: str | None = None,
                 steps: int | None = None, download: bool = True) -> dict[str, Any]:
    """One test sample through a stored ``nir`` run: per layer its raster and membranes.

    Returns ``{"label", "class_name", "predicted", "dt_s", "layers": [{"name", "spikes"
    (array [T, n] or None), "mem" ([T, n])}]}`` for the Training page's run inspector.
    """
    net = load_net(run)
    x, labels, classes = encode(dataset, data_path, 1, steps, download, first=index)
    _check_width(net, x, dataset)
    result = simulate(net, x)
    scores = result.scores[0]
    predicted = int(scores.argmax()) if scores.numel() == len(classes) else None
    layers = [{"name": layer.name,
               "spikes": None if layer.spikes is None else layer.spikes[:, 0].flatten(1).numpy(),
               "mem": layer.mem[:, 0].flatten(1).numpy()}
              for layer in result.layers]
    label = int(labels[0])
    return {"label": label, "class_name": str(classes[label]), "predicted": predicted,
            "dt_s": net.dt, "layers": layers}

