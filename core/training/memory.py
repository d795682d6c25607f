"""Refuse a training configuration that cannot fit in memory, before allocating anything.

The estimate counts what a run holds at its peak, in float32: the parameters with their
gradients and Adam's two moments; one training batch's dense input and the hidden layer's
per-step tensors that autograd keeps for the backward pass (about eight [T, B, H] tensors on
the reference engine, fewer on the fast one); one evaluation batch; and the re-binned or
resampled data set for time series. It errs on the high side; a run it lets through may still
be slow, but it never dies half-way with an allocation failure and a traceback.
"""

from __future__ import annotations

from core.free_memory import check_memory
from core.training.config import TrainConfig

FLOAT = 4  # bytes
SAVED_PER_STEP = 8  # [B, H] tensors autograd keeps per time step (reference engine)
EVAL_BATCH = 256


def needed_bytes(config: TrainConfig, inputs: int, outputs: int, stored: int = 0) -> int:
    """Peak bytes of a run with ``inputs`` network inputs; ``stored``: bytes of data kept."""
    h, t = config.hidden, config.steps
    weights = inputs * h + h * outputs + (h * h if config.recurrent else 0)
    parameters = 4 * weights  # value, gradient, two Adam moments
    train_batch = t * config.batch_size * (inputs + SAVED_PER_STEP * h + 2 * outputs)
    eval_batch = t * EVAL_BATCH * (inputs + 2 * h + outputs)
    return FLOAT * (parameters + train_batch + eval_batch) + stored


def check_fits(config: TrainConfig, inputs: int, outputs: int, stored: int = 0,
               limit: int | None = None) -> None:
    """``ValueError`` naming the sizes when the run needs more than this machine can give."""
    check_memory(
        needed_bytes(config, inputs, outputs, stored),
        f"hidden {config.hidden:,}, {config.steps:,} steps, batch {config.batch_size:,}, "
        f"{inputs:,} inputs",
        "lower the hidden size, the time steps or the batch size",
        limit,
    )
