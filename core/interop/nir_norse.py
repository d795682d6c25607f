"""Networks written by Norse (``norse.torch.to_nir``): their time constants and tensors.

Norse 1.1's ``to_nir(module, sample, dt=0.001)`` writes each neuron's time constant as
``dt / tau_inv``, that is dt·τ rather than τ in seconds (a 10 ms membrane at its default
dt = 1 ms is written as 1e-05), and Norse's own ``import_nir`` divides it by dt again. Read in
NIR's convention such a file is refused ("tau = 1e-05 s is shorter than the time step"); read in
Norse's (``convention="norse"``), every tau is divided by dt and the network is stepped at that
dt, which is then Norse's forward Euler step exactly. An input type that keeps the example's
batch of one (``to_nir``'s, nirtorch's) is read as one sample's shape (``batchless``).
``to_nir`` also leaves torch tensors in the nodes, which ``nir.write`` cannot store:
``portable`` turns them into NumPy arrays.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import nir
import numpy as np

# How a file writes its time constants: in seconds (NIR), or as dt·tau (Norse's to_nir).
CONVENTIONS: tuple[str, ...] = ("nir", "norse")
NORSE_DT = 1e-3  # seconds: the dt norse.torch.to_nir and import_nir assume by default
TAU_FIELDS = ("tau", "tau_mem", "tau_syn")


def _numpy(value: Any) -> Any:
    """A torch tensor (or a dict of them) as NumPy, a scalar as one element (HDF5 stores no
    compressed scalars; SpikeLab broadcasts it over the layer); anything else as it is."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return np.atleast_1d(value)
    if isinstance(value, dict):
        return {k: _numpy(v) for k, v in value.items()}
    return value


def portable(graph: nir.NIRGraph) -> nir.NIRGraph:
    """``graph`` with its torch tensors as NumPy arrays, so that ``nir.write`` can store it
    (Norse's ``to_nir`` leaves tensors, scalar ones among them, which ``nir.write`` cannot
    write); its types are not checked again (Norse's input type keeps the sample's batch)."""
    nodes = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            nodes[name] = portable(node)
        elif dataclasses.is_dataclass(node):
            nodes[name] = dataclasses.replace(node, **{
                f.name: _numpy(getattr(node, f.name)) for f in dataclasses.fields(node)
                if f.init and f.name not in ("input_type", "output_type", "metadata")})
        else:
            nodes[name] = node
    return nir.NIRGraph(nodes=nodes, edges=list(graph.edges),
                        metadata=_numpy(dict(graph.metadata or {})), type_check=False)


def norse_node(node: Any, dt: float) -> Any:
    """``node`` with the time constants Norse meant: its file holds dt·tau (``to_nir`` writes
    ``dt / tau_inv``), so each tau is the written value over ``dt``."""
    if not dataclasses.is_dataclass(node):
        return node
    taus = {f.name: np.asarray(getattr(node, f.name), dtype=np.float64) / dt
            for f in dataclasses.fields(node) if f.name in TAU_FIELDS and f.init}
    return dataclasses.replace(node, **taus) if taus else node


def batchless(shape: tuple[int, ...]) -> tuple[int, ...]:
    """One sample's shape from a Norse input type, which keeps the example's batch of one
    ([1, features] or [1, C, H, W]); any other shape as it is."""
    return shape[1:] if len(shape) in (2, 4) and shape[0] == 1 else shape
