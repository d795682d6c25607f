"""Imported NIR networks in the run store (kind ``"nir"``), and their simulation on data.

``import_nir`` checks a ``.nir`` file, stores it (the file's bytes as the run's only weight
tensor, ``nir_file``, so it is re-read exactly) with its layer sizes and discrete-time neuron
parameters, and returns the command line's JSON. ``simulate_run`` encodes test samples of a
data set as SpikeLab's trainer does (``INPUTS``: ``"spikes"``, time-to-first-spike for images,
values as currents for Braille, the data set's default steps) or feeds every value as a
constant current at every step (``"current"``, for a network trained on analog input), runs
the network, and stores on the run the spike counts per layer, the input it was given and
NeuroBench's operation counts, which ``core.hardware.runs`` prices.
``trace_sample`` gives one sample's rasters and membranes for the run inspector.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.data.registry import dataset_info, dataset_names
from core.interop.nir_graph import ImportedNet, import_graph, read_graph
from core.interop.nir_sim import SimResult, simulate
from core.limits import LIMITS, MB, clip

KIND = "nir"
NIR_FILE = "nir_file"
# The kinds of data ``encode`` feeds a network: images as time-to-first-spike spikes, time series
# as currents (not spike trains such as SHD's).
SIM_KINDS: tuple[str, ...] = ("image", "timeseries")
# The data sets a network runs on, read from the registry: those the trainer encodes (they have
# surrogate defaults) of the kinds above. simulate-net, neurobench and the pages offer these.
SIM_DATASETS: tuple[str, ...] = dataset_names("surrogate", SIM_KINDS)


# The input a simulation gives a network: SpikeLab's trainer's encoding, or analog currents.
INPUTS: dict[str, str] = {
    "spikes": "as SpikeLab trains: images as time-to-first-spike spikes, time series as currents",
    "current": "analog: every value as a constant current at every step",
}


def input_label(encoding: str, dataset: str) -> str:
    """What the network is fed, in words, for ``dataset``."""
    if encoding == "current" or dataset_info(dataset).kind != "image":
        return "analog currents (each value, every step)"
    return "time-to-first-spike spikes (one per pixel, brighter earlier)"


def input_width(dataset: str) -> int:
    """Values per time step that ``encode`` gives for ``dataset`` (pixels, or channels)."""
    info = dataset_info(dataset)
    shape = info.input_shape
    return int(np.prod(shape)) if info.kind == "image" else int(shape[-1])


def matching_datasets(layer_sizes: list[int]) -> list[str]:
    """The data sets whose encoded input fits a network's first layer (for a page's picker)."""
    return [name for name in SIM_DATASETS if input_width(name) == layer_sizes[0]]


def import_nir(source: str | Path | bytes, store: Any, name: str = "", dt: float | None = None,
               order: str = "euler", convention: str = "nir") -> dict[str, Any]:
    """Check and store a NIR graph (a path or the file's bytes); its JSON summary.

    The summary records the file's SHA-256 and the options given, so that ``stored_import``
    finds the run again instead of storing the same upload twice."""
    raw = source if isinstance(source, bytes) else _read_bytes(source)
    where = None if isinstance(source, bytes) else str(Path(source).expanduser())
    net = import_graph(read_graph(raw, label=where), dt=dt, order=order, convention=convention)
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
        "convention": net.convention,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "imported_with": _options(dt, order, convention),
    }
    weights = {NIR_FILE: torch.frombuffer(bytearray(raw), dtype=torch.uint8)}
    run_id = store.save_run(KIND, summary, metrics={"layer_sizes": net.layer_sizes},
                            weights=weights, name=label)
    return {"run_id": run_id, "name": label, **summary}


def _options(dt: float | None, order: str, convention: str) -> dict[str, Any]:
    """The import options as a run records them (the convention only when not NIR's, so that
    runs imported before it existed still match)."""
    return {"dt": dt, "order": order, **({"convention": convention} if convention != "nir"
                                         else {})}


def stored_import(store: Any, digest: str, dt: float | None = None, order: str = "euler",
                  convention: str = "nir") -> int | None:
    """The id of a stored ``nir`` run imported from a file with SHA-256 ``digest`` and the same
    options, or None: an identical upload is then stored once (issue 22, defect 4)."""
    wanted = _options(dt, order, convention)
    for run in store.list_runs(kind=KIND):
        if run.config.get("sha256") == digest and run.config.get("imported_with") == wanted:
            return run.id
    return None


def _read_bytes(path: str | Path) -> bytes:
    """The file's bytes; a file larger than any NIR graph SpikeLab reads is refused unread."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if size > LIMITS.nir_file_mb * MB:
            raise ValueError(f"{clip(path, 120)} is {size / MB:,.0f} MB, more than the "
                             f"{LIMITS.nir_file_mb} MB a NIR graph SpikeLab reads may hold.")
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"There is no readable NIR file at {clip(path, 120)} "
                         f"({exc.strerror}).") from None


def load_net(run: Any) -> ImportedNet:
    """The network of a stored ``nir`` run, read back with the options it was imported with."""
    if run.kind != KIND:
        raise ValueError(f"Run {run.id} is a {run.kind!r} run, not an imported NIR network.")
    blob = run.load_weights().get(NIR_FILE)
    if blob is None:
        raise ValueError(f"Run {run.id} holds no NIR file.")
    graph = read_graph(bytes(blob.numpy().tobytes()))
    return import_graph(graph, dt=float(run.config["dt_s"]), order=str(run.config["order"]),
                        convention=str(run.config.get("convention", "nir")))


CHUNK = 256  # samples simulated at once: memory stays bounded on a whole test set


@dataclass
class TestSamples:
    """Test samples ``first`` .. ``first + count`` of a prepared data set, encoded on demand."""

    data: Any  # core.fit.PreparedData
    config: Any  # the TrainConfig whose encoding (steps, TTFS) the trainer uses
    first: int
    count: int
    encoding: str = "spikes"  # INPUTS: the trainer's encoding, or analog currents

    @property
    def classes(self) -> tuple:
        return tuple(self.data.classes)

    def encode(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples ``start`` .. ``stop`` (relative) as input [T, B, ...] and their labels."""
        from core.training.inputs import batch_input

        lo, hi = self.first + start, self.first + min(stop, self.count)
        values = self.data.x_test[lo:hi]
        if self.encoding == "current" and self.data.kind == "image":
            x = values.to(torch.float32)[None].expand(self.config.steps, -1, -1).contiguous()
        else:
            x = batch_input(self.data, values, self.config, torch.device("cpu"))
        return x, self.data.y_test[lo:hi]

    def chunks(self, size: int = CHUNK) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for start in range(0, self.count, size):
            yield self.encode(start, start + size)


def test_samples(dataset: str, data_path: str | None, samples: int, steps: int | None = None,
                 download: bool = True, first: int = 0, hidden: int | None = None,
                 encoding: str = "spikes") -> TestSamples:
    """Up to ``samples`` test samples from ``first``, encoded as SpikeLab's trainer feeds them:
    time-to-first-spike images, time series as currents (``core.training.inputs``), or every
    value as a current (``encoding="current"``). ``hidden`` (the widest layer) sizes the
    memory check that runs before encoding."""
    from core.data.registry import load_dataset
    from core.training.defaults import default_config
    from core.training.inputs import prepare

    if samples < 1:
        raise ValueError(f"Simulate at least one sample (got {samples}).")
    if encoding not in INPUTS:
        raise ValueError(f"The input must be one of {', '.join(INPUTS)} (got "
                         f"{clip(repr(encoding), 40)}).")
    config = default_config(dataset, steps=steps, max_train=1, max_test=first + samples,
                            batch_size=min(samples, CHUNK), hidden=hidden)
    data = prepare(load_dataset(dataset, data_path, download=download), config)
    if first >= len(data.x_test):
        raise ValueError(f"{dataset} has {len(data.x_test)} test samples; there is no sample "
                         f"{first}.")
    return TestSamples(data, config, first, min(samples, len(data.x_test) - first), encoding)


def encode(dataset: str, data_path: str | None, samples: int, steps: int | None = None,
           download: bool = True, first: int = 0, hidden: int | None = None,
           encoding: str = "spikes") -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """All the chosen test samples at once: input [T, B, ...], labels and class names."""
    chosen = test_samples(dataset, data_path, samples, steps, download, first, hidden,
                          encoding)
    x, labels = chosen.encode(0, chosen.count)
    return x, labels, chosen.classes


def _totals(result: SimResult, labels: torch.Tensor, classes: int) -> dict[str, Any]:
    """Sums over one chunk: spikes per layer, operations per projection, hits."""
    scores = result.scores
    spiking = [x for x in result.layers[1:] if x.spikes is not None]
    return {
        "spikes": [None if x.spikes is None else float(x.spikes.sum()) for x in result.layers],
        "ops": [[c.acs, c.macs, c.dense, r.acs if r else 0.0, r.dense if r else 0.0]
                for c, r in zip(result.counts, result.recurrent, strict=True)],
        "fired": sum(float(x.spikes.sum()) for x in spiking),
        "slots": sum(x.spikes.numel() for x in spiking),
        "correct": (float((scores.argmax(1) == labels).sum())
                    if scores.shape[1] == classes else None),
    }


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, list):
        return [_add(x, y) for x, y in zip(a, b, strict=True)]
    return None if a is None or b is None else a + b


def _per_sample(total: dict[str, Any], first: SimResult, samples: int) -> dict[str, Any]:
    """Spike counts per layer and NeuroBench's counts, per sample."""
    projections = [
        {"into": layer.name, "acs": ops[0] / samples, "macs": ops[1] / samples,
         "dense": ops[2] / samples, "fan_out": c.fan_out, "fan_out_uniform": c.uniform,
         "recurrent_acs": ops[3] / samples, "recurrent_dense": ops[4] / samples,
         "recurrent_fan_out": r.fan_out if r else None}
        for layer, ops, c, r in zip(first.layers[1:], total["ops"], first.counts,
                                    first.recurrent, strict=True)
    ]
    return {
        "spikes_per_layer": [None if s is None else s / samples for s in total["spikes"]],
        "projections": projections,
        "effective_acs": sum(p["acs"] + p["recurrent_acs"] for p in projections),
        "effective_macs": sum(p["macs"] for p in projections),
        "dense_ops": sum(p["dense"] + p["recurrent_dense"] for p in projections),
        "activation_sparsity": 1.0 - total["fired"] / total["slots"] if total["slots"] else None,
    }


def simulate_run(store: Any, run_id: int, dataset: str, data_path: str | None = None,
                 samples: int = 100, steps: int | None = None, download: bool = True,
                 encoding: str = "spikes") -> dict[str, Any]:
    """Run a stored ``nir`` network on ``samples`` test samples; store and return the counts."""
    run = store.get_run(run_id)
    net = load_net(run)
    chosen = test_samples(dataset, data_path, samples, steps, download, hidden=widest(net),
                          encoding=encoding)
    metrics = measure(net, chosen, dataset)
    store.update_metrics(run_id, metrics)
    return {"run_id": run_id, **metrics, "accuracy_note": accuracy_note(net, chosen, metrics)}


def accuracy_note(net: ImportedNet, chosen: TestSamples, metrics: dict[str, Any]) -> str | None:
    """Why the accuracy is missing or near chance (with what to try), else None."""
    classes = len(chosen.classes)
    if metrics["accuracy"] is None:
        return (f"The output layer has {net.layer_sizes[-1]} units and {metrics['dataset']} has "
                f"{classes} classes, so no readout maps to its classes.")
    if metrics["accuracy"] > 2.0 / classes or chosen.data.kind != "image":
        return None
    other = "current" if chosen.encoding == "spikes" else "spikes"
    return (f"Near chance ({classes} classes): the network was fed "
            f"{input_label(chosen.encoding, metrics['dataset'])}. A network trained on another "
            f"input reads it wrong; try the {other} input ({INPUTS[other]}).")


def measure(net: ImportedNet, chosen: TestSamples, dataset: str) -> dict[str, Any]:
    """Accuracy (None without a readout per class), spikes and NeuroBench-style counts."""
    total, first, steps = None, None, 0
    for x, labels in chosen.chunks():
        _check_width(net, x, dataset)
        result = simulate(net, x)
        chunk = _totals(result, labels, len(chosen.classes))
        total = chunk if total is None else {k: _add(total[k], chunk[k]) for k in total}
        first = first if first is not None else result
        steps = int(x.shape[0])
    n = chosen.count
    return {
        "dataset": dataset, "samples": n, "time_steps": steps,
        "input_encoding": getattr(chosen, "encoding", "spikes"),
        "layer_sizes": net.layer_sizes, "layer_names": [x.name for x in first.layers],
        "input_spikes": first.input_binary,
        "accuracy": None if total["correct"] is None else total["correct"] / n,
        **_per_sample(total, first, n),
    }


def widest(net: ImportedNet) -> int:
    """The widest layer after the input (what the memory check sizes)."""
    return max(net.layer_sizes[1:])


def _check_width(net: ImportedNet, x: torch.Tensor, dataset: str) -> None:
    width = int(np.prod(x.shape[2:]))
    if width != net.layer_sizes[0]:
        raise ValueError(f"The network takes {net.layer_sizes[0]} inputs per step (shape "
                         f"{net.input_shape}); {dataset} gives {width} per step.")


def trace_sample(run: Any, dataset: str, index: int = 0, data_path: str | None = None,
                 steps: int | None = None, download: bool = True,
                 encoding: str | None = None) -> dict[str, Any]:
    """One test sample through a stored ``nir`` run: per layer its raster and membranes.

    Returns ``{"label", "class_name", "predicted", "dt_s", "layers": [{"name", "spikes"
    (array [T, n] or None), "mem" ([T, n])}]}`` for the Training page's run inspector.
    """
    net = load_net(run)
    encoding = encoding or str(run.metrics.get("input_encoding", "spikes"))
    x, labels, classes = encode(dataset, data_path, 1, steps, download, first=index,
                                hidden=widest(net), encoding=encoding)
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

