"""What a ``.nir`` file may hold before any of its data is read.

A NIR file is HDF5, and HDF5 can point outside the file: a dataset's bytes may live in
*external* files (``external=[("/etc/passwd", 0, size)]``), a *virtual* dataset maps other files'
datasets, and an *external link* opens another HDF5 file. Read as a network's weights or shape,
any of them would show the host's files to whoever uploaded the ``.nir`` (issue 22, defect 1).
A tiny file can also *declare* a huge dataset (a chunked, compressed 20,000 x 25,000 weight is
59 KB on disk and 2 GB in memory). ``check_file`` walks every link of an open file, without
reading any dataset, and refuses all of these with one sentence, so ``nir.read`` only ever sees
datasets stored inside the file and small enough to read (``LIMITS.nir_dataset_mb`` each,
``LIMITS.nir_file_mb`` together, ``LIMITS.nir_nodes`` nodes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import h5py

from core.limits import LIMITS, MB, clip


def quote(name: object, limit: int = 60) -> str:
    """A name from the file, quoted and cut short, for a message."""
    return repr(clip(name, limit))


@dataclass
class _Walk:
    """What the link walk has seen so far (the counters its limits are checked against)."""

    f: h5py.File
    label: str
    links: int = 0
    declared: int = 0

    def __call__(self, name: str, link: Any) -> str | None:
        """None to go on; a refusal stops the walk (h5py mangles an exception raised here)."""
        try:
            self.visit(name, link)
        except ValueError as exc:
            return str(exc)
        return None

    def visit(self, name: str, link: Any) -> None:
        """Count and check one link (and the dataset it holds)."""
        self.links += 1
        if self.links > LIMITS.nir_links_per_node * (LIMITS.nir_nodes + 2):
            raise ValueError(f"{self.label} holds more than {self.links - 1:,} HDF5 objects; a "
                             f"NIR graph SpikeLab reads has at most {LIMITS.nir_nodes:,} nodes.")
        if name.count("/") >= LIMITS.nir_depth:
            raise ValueError(f"{self.label} nests HDF5 groups deeper than "
                             f"{LIMITS.nir_depth} levels "
                             f"(at {quote(name)}); a NIR graph SpikeLab reads is flat.")
        if isinstance(link, h5py.ExternalLink):
            raise ValueError(f"{self.label}: {quote(name)} is an external link to another file; "
                             "SpikeLab reads only data stored inside the .nir file.")
        if isinstance(link, h5py.SoftLink):
            raise ValueError(f"{self.label}: {quote(name)} is a soft link; SpikeLab reads NIR "
                             "files whose every entry is stored in place.")
        obj = self.f.get(name)
        if isinstance(obj, h5py.Dataset):
            self.declared += check_dataset(name, obj, self.label)
            if self.declared > LIMITS.nir_file_mb * MB:
                raise ValueError(f"{self.label} declares more than {LIMITS.nir_file_mb} MB of "
                                 f"data in all (at {quote(name)}); SpikeLab reads NIR files up "
                                 "to that size.")


def check_dataset(name: str, dset: h5py.Dataset, label: str) -> int:
    """The bytes ``dset`` declares, after refusing storage outside the file or over the limit.

    Only the dataset's header is read: its layout, shape, type and chunking."""
    if dset.is_virtual:
        raise ValueError(f"{label}: {quote(name)} is a virtual dataset (its data lives in other "
                         "files); SpikeLab reads only data stored inside the .nir file.")
    if dset.id.get_create_plist().get_external_count() > 0:
        raise ValueError(f"{label}: {quote(name)} keeps its data in external files; SpikeLab "
                         "reads only data stored inside the .nir file.")
    item = dset.dtype.itemsize
    count = math.prod(dset.shape) if dset.shape is not None else 0
    if dset.dtype.kind == "O" and count > LIMITS.nir_strings:  # each becomes a Python object
        raise ValueError(f"{label}: {quote(name)} declares {count:,} strings or variable-length "
                         f"entries; SpikeLab reads up to {LIMITS.nir_strings:,} in one dataset.")
    size = count * item
    chunk = math.prod(dset.chunks) * item if dset.chunks else 0
    limit = LIMITS.nir_dataset_mb * MB
    if max(size, chunk) > limit:
        shape = clip(tuple(dset.shape or ()), 80)
        raise ValueError(f"{label}: {quote(name)} declares {max(size, chunk) / MB:,.0f} MB "
                         f"(shape {shape}); SpikeLab reads datasets of up to "
                         f"{LIMITS.nir_dataset_mb} MB.")
    return size


def check_file(f: h5py.File, label: str) -> None:
    """Refuse links out of the file, external or virtual storage and oversized datasets
    anywhere in ``f``, and more than ``LIMITS.nir_nodes`` nodes; reads no dataset's data."""
    in_place = all(isinstance(f.get(path, getlink=True), h5py.HardLink)
                   for path in ("node", "node/nodes"))  # else the walk below refuses the link
    if in_place and isinstance(f.get("node/nodes"), h5py.Group):
        count = len(f["node/nodes"])
        if count > LIMITS.nir_nodes:
            raise ValueError(f"{label} has {count:,} nodes; SpikeLab reads NIR graphs of up to "
                             f"{LIMITS.nir_nodes:,} nodes.")
    refusal = f.visititems_links(_Walk(f, label))
    if refusal is not None:
        raise ValueError(refusal)
