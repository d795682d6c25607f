"""What a training loop tells its caller after each batch (surrogate and STDBP loops alike)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Progress:
    """One finished batch: where the run is, the batch's loss and the finished epochs."""

    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, within the epoch
    batches: int
    loss: float
    history: tuple[dict[str, Any], ...]  # finished epochs


ProgressFn = Callable[[Progress], None]
