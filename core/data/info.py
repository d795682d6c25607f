"""What a data set is before it is loaded: the facts each loader module declares about itself.

Every loader module ends with ``INFO = DatasetInfo(...)`` and ``core.data.registry`` collects
them, so every list of data sets (CLI choices, the pages' select boxes, hardware image shapes,
the methods that can train on one) is read from one place. ``defaults`` holds per-method
settings keyed by a name in ``METHODS``: a method can use a data set when the data set has an
entry for it, even an empty one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from core.data.base import Dataset, Kind
from core.data.download import RemoteFile

# "surrogate": core.training (TrainConfig values); "relpsp": core.relpsp (RelpspConfig values);
# "nas": core.nas (``preset``: the training recipe used when none is named).
METHODS: tuple[str, ...] = ("surrogate", "relpsp", "nas")

# loader(data_path, progress=None, download=True) -> Dataset; raises DataUnavailable with a
# message a user can act on.
Loader = Callable[..., Dataset]


@dataclass(frozen=True, eq=False)
class DatasetInfo:
    """A data set's name, what it holds, where it comes from and what each method uses.

    ``input_shape`` is one sample as the loader returns it with its default arguments (images:
    [H, W] or [C, H, W]; time series and spikes: [T, channels]). ``classes`` names the classes
    where the names are fixed (``None`` where the file supplies them). ``sources`` are the
    loader's pinned files (none: bundled, works offline).
    """

    name: str
    title: str
    kind: Kind
    description: str
    input_shape: tuple[int, ...]
    num_classes: int
    load: Loader = field(repr=False)
    classes: tuple[str, ...] | None = None
    sources: tuple[RemoteFile, ...] = ()
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.classes is not None and len(self.classes) != self.num_classes:
            raise ValueError(
                f"{self.name}: {len(self.classes)} class names for {self.num_classes} classes."
            )
        unknown = set(self.defaults) - set(METHODS)
        if unknown:
            raise ValueError(f"{self.name}: unknown methods {sorted(unknown)}; use {METHODS}.")
        frozen = {k: MappingProxyType(dict(v)) for k, v in self.defaults.items()}
        object.__setattr__(self, "defaults", MappingProxyType(frozen))

    @property
    def offline(self) -> bool:
        """True when the data ships with SpikeLab's dependencies (nothing to download)."""
        return not self.sources

    def supports(self, method: str) -> bool:
        """Whether ``method`` (one of ``METHODS``) can use this data set."""
        return method in self.defaults

    def defaults_for(self, method: str) -> dict[str, Any]:
        """A copy of ``method``'s defaults for this data set; ValueError when it has none."""
        if method not in self.defaults:
            users = ", ".join(m for m in METHODS if m in self.defaults) or "none"
            raise ValueError(f"{self.title} has no {method} settings (methods: {users}).")
        return dict(self.defaults[method])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """[channels, height, width] of an image data set."""
        if self.kind != "image" or len(self.input_shape) not in (2, 3):
            raise ValueError(f"{self.title} holds {self.kind} data, not images.")
        shape = self.input_shape if len(self.input_shape) == 3 else (1, *self.input_shape)
        return (shape[0], shape[1], shape[2])
