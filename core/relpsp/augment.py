"""Random changes to ReL-PSP training inputs: shifts of spike-time images, and dropped spikes.

An image moved by a few whole pixels is the same garment or digit, so training on shifted
copies teaches the conv layers that position within a few pixels carries no class. Pixels that
move in from outside the frame are silent (``inf``), as a blank background is.

Dropout (Srivastava et al. 2014) in the temporal code: a dropped spike never arrives (``inf``),
and the weights of the layer it feeds are scaled by 1 / (1 - p) while training, so a neuron's
expected input slope, and so its firing time, is the same in training and evaluation.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def shift_images(t: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Each image of ``t`` [batch, side * side] moved by its own random offset of
    -``max_shift`` to ``max_shift`` pixels along each axis (uniform, drawn from ``gen``)."""
    if max_shift == 0:
        return t
    b, n = t.shape
    side = math.isqrt(n)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, b), generator=gen)
    return crop(t.reshape(b, side, side), offsets, max_shift).reshape(b, n)


def crop(images: torch.Tensor, offsets: torch.Tensor, max_shift: int) -> torch.Tensor:
    """``images`` [batch, side, side] padded by ``max_shift`` silent pixels, then each cut back
    to its side at (row, column) ``offsets[:, i]`` of the padded frame: offset ``max_shift``
    leaves an image where it was, 0 moves it ``max_shift`` pixels down (or right)."""
    b, side, _ = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=math.inf)
    span = torch.arange(side)
    rows = (offsets[0][:, None] + span)[:, :, None]
    cols = (offsets[1][:, None] + span)[:, None, :]
    return padded[torch.arange(b)[:, None, None], rows, cols]


def drop_spikes(t: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """``t`` with each spike time replaced by ``inf`` (no spike) with probability ``p``."""
    if p == 0:
        return t
    dropped = torch.rand(t.shape, generator=gen) < p
    return t.masked_fill(dropped, math.inf)
