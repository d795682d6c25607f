"""Read a NIR graph and check that SpikeLab can simulate it: a chain of layers.

NIR (Pedersen et al., "Neuromorphic intermediate representation: a unified instruction set for
interoperable brain-inspired computing", Nature Communications 15, 2024) writes neurons as
continuous-time equations. SpikeLab steps them with **forward Euler at a time step dt** (the
file's ``metadata["dt"]`` when it has one, else 1e-4 s, the step snnTorch's ``import_from_nir``
assumes), each state updated from the previous step's values::

    LIF      beta = 1 - dt/tau,  U[t] = beta U[t-1] + (r dt/tau) x[t] + (dt/tau) v_leak
    IF       U[t] = U[t-1] + r x[t]           (r per step, as Sinabs and snnTorch read it)
    CubaLIF  alpha = 1 - dt/tau_syn, beta = 1 - dt/tau_mem,
             I[t] = alpha I[t-1] + (w_in dt/tau_syn)(r dt/tau_mem) x[t]
             U[t] = beta U[t-1] + I[t-1] + (dt/tau_mem) v_leak       (order "euler")
             U[t] = beta U[t-1] + I[t]   + ...                       (order "snntorch")
    LI, CubaLI  the same without spikes

A spike resets the membrane to zero (``v_reset`` must be 0). snnTorch's ``snn.Synaptic`` adds
the current of the same step (order ``"snntorch"``); Norse, SpyTorch and NIR's Euler step add
the previous one. A graph written by SpikeLab's own export (``metadata["source"] ==
"SpikeLab"``) is read in SpikeLab's dialect: each spiking layer's input arrives one step late
and a spike discards that step's current, as in the SpyTorch network it was trained as.

Norse's ``norse.torch.to_nir(module, sample, dt=0.001)`` writes each time constant as
``dt / tau_inv``, that is dt·τ rather than τ (10 ms at its default dt = 1 ms is written as
1e-05); ``convention="norse"`` reads such a file: every tau is divided by dt, and the network
is stepped at that dt (Norse's default, 1e-3 s, unless one is given), as Norse itself does.

A layer is the linear operations (Affine, Linear, Conv2d, Flatten) that feed one neuron node;
a neuron node's own weights (neuron -> Linear/Affine -> the same neuron) are its recurrent
projection. Anything else is refused with a sentence naming the node.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nir
import numpy as np

from core.interop.nir_hdf5 import check_file, quote
from core.interop.nir_layers import (
    LINEAR_TYPES,
    NEURON_TYPES,
    Op,
    Population,
    dims,
    make_op,
    population,
)
from core.interop.nir_norse import CONVENTIONS, NORSE_DT, batchless, norse_node
from core.limits import LIMITS, MB, clip

DEFAULT_DT = 1e-4  # seconds: snnTorch's import_from_nir steps every node at this dt
ORDERS: tuple[str, ...] = ("euler", "snntorch")
SUPPORTED = ("Input", "Output", *LINEAR_TYPES, *NEURON_TYPES)


@dataclass(frozen=True)
class Layer:
    """The linear operations feeding one neuron population (and its recurrent weights)."""

    ops: tuple[Op, ...]
    neurons: Population
    recurrent: Op | None = None


@dataclass(frozen=True)
class ImportedNet:
    """A NIR graph as SpikeLab simulates it: the input's shape and the layers in order."""

    input_shape: tuple[int, ...]
    layers: tuple[Layer, ...]
    dt: float
    order: str
    dialect: str  # "nir" (Euler, as above) or "spikelab" (SpikeLab's own export)
    source: str = ""
    convention: str = "nir"  # how the file wrote its time constants (CONVENTIONS)

    @property
    def layer_sizes(self) -> list[int]:
        """Neurons per layer, input first."""
        sizes = [int(np.prod(self.input_shape))]
        return sizes + [layer.neurons.size for layer in self.layers]

    def describe(self) -> list[dict[str, Any]]:
        """One JSON-ready summary per layer: neuron model, size and discrete parameters."""
        return [
            {**layer.neurons.describe(), "recurrent": layer.recurrent is not None,
             "inputs_from": [op.name for op in layer.ops]}
            for layer in self.layers
        ]


def read_graph(source: str | Path | bytes, label: str | None = None) -> nir.NIRGraph:
    """The graph in a ``.nir`` file (a path or its bytes); ValueError in one sentence.

    The file is checked before nir reads it (``nir_hdf5.check_file``): no data from outside it,
    no dataset over the declared-size limits, at most ``LIMITS.nir_nodes`` flat nodes."""
    if isinstance(source, bytes):
        handle: Any = io.BytesIO(source)
        label = label or "the uploaded file"
    else:
        handle = Path(source).expanduser()
        label = label or clip(handle, 200)
        if not handle.is_file():
            raise ValueError(f"There is no NIR file at {label}.")
    try:
        _scan_types(handle, label)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - h5py raises OSError, KeyError, ... on bad files
        raise ValueError(f"{label} is not a readable NIR file: HDF5 cannot open it "
                         f"(truncated or not HDF5: {clip(exc, 200)}).") from None
    if isinstance(handle, io.BytesIO):
        handle.seek(0)
    try:
        graph = nir.read(handle, type_check=False)
    except Exception as exc:  # noqa: BLE001 - nir raises anything on a malformed graph
        raise ValueError(f"{label} is not a NIR graph that the nir package can build "
                         f"({type(exc).__name__}: {clip(exc, 200)}).") from None
    if not isinstance(graph, nir.NIRGraph):
        raise ValueError(f"{label} holds a single {type(graph).__name__} node, not a graph.")
    return graph


def _scan_types(handle: Any, label: str) -> None:
    """Check the file's storage and size (``nir_hdf5``), then name the first node SpikeLab
    cannot read, before nir builds any node."""
    import h5py

    with h5py.File(handle, "r") as f:
        check_file(f, label)
        nodes = f.get("node/nodes")
        if not isinstance(nodes, h5py.Group):
            raise ValueError(f"{label} is an HDF5 file but not a NIR graph (it has no "
                             "'node/nodes' group).")
        for name, group in nodes.items():
            if len(name) > LIMITS.nir_name_chars:
                raise ValueError(f"Node {quote(name)} has a name of {len(name):,} characters; "
                                 f"SpikeLab reads names of up to {LIMITS.nir_name_chars}.")
            kind = _node_type(group)
            if kind == "NIRGraph":
                raise ValueError(f"Node {name!r} is a nested NIR graph (as snnTorch writes "
                                 "recurrent layers); SpikeLab reads flat graphs only.")
            if kind not in SUPPORTED:
                raise ValueError(f"Node {name!r} is a {clip(kind, 60)}, which SpikeLab cannot "
                                 f"simulate (it reads {', '.join(SUPPORTED)}).")


def _node_type(group: Any) -> str:
    """A node group's ``type`` as text (a short placeholder when it has none that is text)."""
    import h5py

    kind = group.get("type") if isinstance(group, h5py.Group) else None
    if not isinstance(kind, h5py.Dataset) or kind.shape != ():
        return "(no type)"
    value = kind[()]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def import_graph(graph: nir.NIRGraph, dt: float | None = None, order: str = "euler",
                 convention: str = "nir") -> ImportedNet:
    """Check ``graph`` and convert it to SpikeLab's discrete-time layers (see the module)."""
    if order not in ORDERS:
        raise ValueError(f"The current order must be one of {', '.join(ORDERS)} (got {order!r}).")
    if convention not in CONVENTIONS:
        raise ValueError(f"The time-constant convention must be one of "
                         f"{', '.join(CONVENTIONS)} (got {clip(repr(convention), 40)}).")
    _check_types(graph)
    metadata = dict(graph.metadata or {})
    if dt is None and convention == "norse" and "dt" not in metadata:
        dt = NORSE_DT
    dt = _step(dt, metadata)
    dialect = "spikelab" if str(metadata.get("source", "")) == "SpikeLab" else "nir"
    names, recurrent = _chain(graph)
    # an example's batch of one in the input type (Norse, nirtorch) is not a dimension
    input_shape = batchless(_input_shape(graph.nodes[names[0]], names[0]))
    layers, pending, shape = [], [], input_shape
    for name in names[1:]:
        node = graph.nodes[name]
        if convention == "norse":
            node = norse_node(node, dt)
        kind = type(node).__name__
        if kind == "Output":
            _check_output(node, name, shape)
            break
        if kind in LINEAR_TYPES:
            op = make_op(name, node, shape)
            pending.append(op)
            shape = _check_size(op.out_shape, name)
            continue
        pop = population(name, node, shape, dt, order, dialect)
        rec = recurrent.get(name)
        rec_op = make_op(rec, graph.nodes[rec], shape) if rec else None
        if rec_op is not None and rec_op.out_shape != shape:
            raise ValueError(f"Shape mismatch at node {rec!r}: the recurrent weights of {name!r} "
                             f"give shape {dims(rec_op.out_shape)}, the layer has {dims(shape)}.")
        layers.append(Layer(tuple(pending), pop, rec_op))
        pending = []
    if pending:  # weights after the last neurons: a linear readout
        layers.append(Layer(tuple(pending), population(pending[-1].name, None, shape, dt, order,
                                                       dialect)))
    if not layers:
        raise ValueError("The graph has no weights and no neurons between its input and output.")
    return ImportedNet(input_shape, tuple(layers), dt, order, dialect,
                       str(metadata.get("source", "")), convention)


def _step(dt: float | None, metadata: dict[str, Any]) -> float:
    value = dt if dt is not None else metadata.get("dt", DEFAULT_DT)
    try:
        value = float(np.asarray(value).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"The graph's metadata dt is not a number "
                         f"({clip(repr(value), 60)}).") from None
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"The time step dt must be a positive number of seconds (got {value}).")
    return value


def _check_types(graph: nir.NIRGraph) -> None:
    if len(graph.nodes) > LIMITS.nir_nodes:
        raise ValueError(f"The graph has {len(graph.nodes):,} nodes; SpikeLab reads NIR graphs "
                         f"of up to {LIMITS.nir_nodes:,} nodes.")
    for name, node in graph.nodes.items():
        kind = type(node).__name__
        if isinstance(node, nir.NIRGraph):
            raise ValueError(f"Node {name!r} is a nested NIR graph (as snnTorch writes recurrent "
                             "layers); SpikeLab reads flat graphs only.")
        if kind not in SUPPORTED:
            raise ValueError(f"Node {name!r} is a {kind}, which SpikeLab cannot simulate (it "
                             f"reads {', '.join(SUPPORTED)}).")
    for edge in graph.edges:
        for end in edge:
            if end not in graph.nodes:
                raise ValueError(f"The edge {quote(edge[0])} -> {quote(edge[1])} names node "
                                 f"{quote(end)}, which the graph does not have.")


def _the_one(graph: nir.NIRGraph, kind: type, label: str) -> str:
    found = [n for n, node in graph.nodes.items() if isinstance(node, kind)]
    if len(found) != 1:
        raise ValueError(f"The graph has {len(found)} {label} nodes; SpikeLab simulates graphs "
                         f"with exactly one ({clip(', '.join(map(repr, found)), 200) or 'none'}).")
    return found[0]


def _chain(graph: nir.NIRGraph) -> tuple[list[str], dict[str, str]]:
    """The node names from the input to the output, and each neuron's recurrent weights."""
    succ: dict[str, list[str]] = defaultdict(list)
    pred: dict[str, list[str]] = defaultdict(list)
    for a, b in graph.edges:
        succ[a].append(b)
        pred[b].append(a)
    recurrent = {}
    for name, node in graph.nodes.items():
        if type(node).__name__ not in NEURON_TYPES:
            continue
        for p in pred[name]:
            if (type(graph.nodes[p]).__name__ in ("Linear", "Affine")
                    and pred[p] == [name] and succ[p] == [name]):
                recurrent[name] = p
    for name, rec in recurrent.items():
        succ[name].remove(rec)
        pred[name].remove(rec)
        succ[rec], pred[rec] = [], []
    _check_acyclic(graph, succ)
    start, end = _the_one(graph, nir.Input, "Input"), _the_one(graph, nir.Output, "Output")
    names = [start]
    while names[-1] != end:
        here = names[-1]
        nxt = succ[here]
        if not nxt:
            raise ValueError(f"Node {here!r} leads nowhere: no path from the input reaches the "
                             f"output {end!r}.")
        if len(nxt) > 1:
            raise ValueError(f"Node {here!r} feeds {len(nxt)} nodes "
                             f"({clip(', '.join(nxt), 200)}); SpikeLab simulates chains (one "
                             "path from input to output, no branches).")
        if len(pred[nxt[0]]) > 1:
            raise ValueError(f"Node {nxt[0]!r} sums {len(pred[nxt[0]])} inputs "
                             f"({clip(', '.join(pred[nxt[0]]), 200)}); SpikeLab simulates chains "
                             "(one path from input to output, no branches).")
        names.append(nxt[0])
    stray = set(graph.nodes) - set(names) - set(recurrent.values())
    if stray:
        raise ValueError(f"Node(s) {clip(', '.join(sorted(map(repr, stray))), 200)} are not "
                         "on the path from the input to the output.")
    return names, recurrent


def _check_acyclic(graph: nir.NIRGraph, succ: dict[str, list[str]]) -> None:
    """Refuse a cycle other than a neuron's own weights, naming an edge on it.

    Depth-first with an explicit stack: a long chain must not exhaust Python's recursion."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    for root in graph.nodes:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            name, todo = stack[-1]
            nxt = next(todo, None)
            if nxt is None:
                state[name] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                raise ValueError(
                    f"The edge {name!r} -> {nxt!r} closes a loop: SpikeLab supports only a "
                    "neuron's own recurrent weights (neuron -> Linear/Affine -> the same neuron), "
                    "not other recurrent edges.")
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))


def _shape_of(types: Any, key: str) -> tuple[int, ...] | None:
    value = (types or {}).get(key) if isinstance(types, dict) else None
    if value is None:
        return None
    arr = np.asarray(value).reshape(-1)
    return tuple(int(v) for v in arr) if arr.size else None


def _input_shape(node: nir.Input, name: str) -> tuple[int, ...]:
    shape = _shape_of(node.input_type, "input")
    if not shape or any(n < 1 for n in shape):
        raise ValueError(f"The Input node {name!r} gives no shape (input_type['input'] = "
                         f"{dims(shape)}); SpikeLab needs the input's size.")
    return _check_size(shape, name)


def _check_size(shape: tuple[int, ...], name: str) -> tuple[int, ...]:
    """``shape``, after refusing one sample of more values than a NIR dataset may hold."""
    most = LIMITS.nir_dataset_mb * MB // 4  # float32 values
    if len(shape) > 4 or math.prod(shape) > most:
        raise ValueError(f"Node {name!r} gives shape {dims(shape)} per sample; SpikeLab "
                         f"simulates layers of up to 4 dimensions and {most:,} values.")
    return shape


def _check_output(node: nir.Output, name: str, shape: tuple[int, ...]) -> None:
    declared = _shape_of(node.output_type, "output")
    if declared and math.prod(declared) != math.prod(shape):
        raise ValueError(f"Shape mismatch at the Output node {name!r}: it declares shape "
                         f"{dims(declared)}, the network gives {dims(shape)}.")
