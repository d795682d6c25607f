"""snnTorch 1.0's ``export_to_nir``, mended so that nir 1.0.8 accepts and writes its graphs.

snnTorch writes a ``snn.Leaky``/``snn.Synaptic`` with scalar parameters (0-d arrays), so nir's
type inference cannot give the neuron node a shape (``ValueError: Type inference error: type
mismatch ... input: []``) and ``nir.write`` refuses the scalars (``Scalar datasets don't support
chunk/filter options``). ``export_snntorch`` exports with the batch dimension ignored and type
inference deferred, then broadcasts each neuron node's parameters to the size of the layer that
feeds it, and checks the types. The neurons keep snnTorch's meaning: import the file with
order ``"snntorch"`` to fire the same spikes as the network it came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import nir
import numpy as np

_NEURONS = (nir.LIF, nir.CubaLIF, nir.IF, nir.LI, nir.CubaLI)


@contextmanager
def _deferred_type_inference() -> Iterator[None]:
    original = nir.NIRGraph.infer_types
    nir.NIRGraph.infer_types = lambda self: None  # snnTorch calls it before we can mend
    try:
        yield
    finally:
        nir.NIRGraph.infer_types = original


def _width(node: Any) -> int | None:
    weight = getattr(node, "weight", None)
    return int(np.asarray(weight).shape[0]) if weight is not None else None


def _broadcast(node: Any, n: int) -> Any:
    values = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        numeric = isinstance(value, np.ndarray | np.generic | float | int)
        if f.name != "metadata" and f.init and numeric:
            arr = np.asarray(value, dtype=np.float32)
            values[f.name] = np.full(n, arr.item(), np.float32) if arr.size == 1 else arr
        elif f.init:
            values[f.name] = value
    return type(node)(**values)


def export_snntorch(net: Any, sample: Any) -> nir.NIRGraph:
    """The NIR graph of an snnTorch network (``sample``: one input batch, batch first)."""
    from snntorch.export_nir import export_to_nir

    with _deferred_type_inference():
        graph = export_to_nir(net, sample, ignore_dims=[0])
    feeders = {b: a for a, b in graph.edges}
    nodes = dict(graph.nodes)
    for name, node in graph.nodes.items():
        if isinstance(node, _NEURONS) and np.asarray(node.r).ndim == 0:
            width = _width(nodes.get(feeders.get(name, ""), None))
            if width is None:
                raise ValueError(f"Cannot tell the size of snnTorch layer {name!r}: no weights "
                                 "feed it.")
            nodes[name] = _broadcast(node, width)
    mended = nir.NIRGraph(nodes=nodes, edges=list(graph.edges), metadata=dict(graph.metadata))
    mended.infer_types()
    return mended
