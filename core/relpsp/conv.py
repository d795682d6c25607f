"""Convolutional ReL-PSP layers and earliest-spike pooling, for C-SNNs trained with STDBP.

A conv layer of C_out maps applies one ReL-PSP neuron per map and output pixel to the
C_in x k x k patch of input spike times under it (padding pixels never spike); with
``bias_spike`` every patch also holds a reference spike at t = 0. The neurons of all patches of
a batch are rows of one ReL-PSP layer: the patches are unfolded into a [batch * pixels, C_in *
k * k (+1)] matrix of times, and ``core.relpsp.functional.relpsp_layer`` runs it on the
compiled kernels of ``core.relpsp.kernels`` - exact spike times, each neuron's causal set,
STDBP's gradients with one weight-gradient buffer per thread - so the conv layers share the
fully connected layers' kernels, and their tests. Autograd folds the patches' time gradients
back onto the input pixels (a pixel in several patches sums its gradients).

Pooling takes the earliest spike of each ``size`` x ``size`` block (a max-pool in the temporal
code, Zhang et al. 2022); its gradient goes to that earliest input (the first one on a tie).

``reference_conv`` is the float64 oracle of the tests: it gathers every patch pixel by pixel
and runs the dense layer of ``core.relpsp.reference``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.relpsp import reference
from core.relpsp.config import ConvSpec, out_side
from core.relpsp.functional import relpsp_layer


def patches(t_img: torch.Tensor, spec: ConvSpec, bias_spike: bool) -> torch.Tensor:
    """[B, C, S, S] times -> [B * pixels, C * k * k (+1)] patch times (padding: ``inf``)."""
    b = t_img.shape[0]
    p = spec.padding
    padded = F.pad(t_img, (p, p, p, p), value=math.inf) if p else t_img
    cols = F.unfold(padded, kernel_size=spec.kernel, stride=spec.stride)  # [B, K, L]
    rows = cols.transpose(1, 2).reshape(b * cols.shape[2], cols.shape[1])
    if bias_spike:
        rows = torch.cat([torch.zeros_like(rows[:, :1]), rows], dim=1)
    return rows


def conv_layer(t_img: torch.Tensor, weight: torch.Tensor, spec: ConvSpec, theta: float,
               min_slope: float, bias_spike: bool) -> torch.Tensor:
    """Spike times [B, C_out, S', S'] of a ReL-PSP conv layer, differentiable with STDBP.

    ``weight``: [C_in * k * k (+1 for the bias spike, first), C_out].
    """
    b, _, side, _ = t_img.shape
    s_out = out_side(side, spec)
    times = relpsp_layer(patches(t_img, spec, bias_spike), weight, theta, min_slope)
    return times.reshape(b, s_out * s_out, -1).transpose(1, 2).reshape(b, -1, s_out, s_out)


def earliest_pool(t_maps: torch.Tensor, size: int) -> torch.Tensor:
    """The earliest spike of each ``size`` x ``size`` block (floor: a ragged edge is dropped)."""
    if size == 1:
        return t_maps
    return -F.max_pool2d(-t_maps, size)


def reference_conv(t_img: torch.Tensor, weight: torch.Tensor, spec: ConvSpec, theta: float,
                   min_slope: float, bias_spike: bool) -> torch.Tensor:
    """``conv_layer`` computed the plain way: each output pixel's patch gathered by index
    (no unfold), the dense float64-capable layer of ``core.relpsp.reference``."""
    b, c, side, _ = t_img.shape
    s_out, k, p = out_side(side, spec), spec.kernel, spec.padding
    flat = torch.cat([t_img.reshape(b, -1), torch.full_like(t_img[:, 0, 0, :1], math.inf)], 1)
    silent = c * side * side  # index of the always-silent column
    index = torch.full((s_out * s_out, c * k * k), silent, dtype=torch.int64)
    for oy in range(s_out):
        for ox in range(s_out):
            for ch in range(c):
                for dy in range(k):
                    for dx in range(k):
                        y, x = oy * spec.stride + dy - p, ox * spec.stride + dx - p
                        if 0 <= y < side and 0 <= x < side:
                            index[oy * s_out + ox, (ch * k + dy) * k + dx] = (
                                (ch * side + y) * side + x)
    rows = flat[:, index].reshape(b * s_out * s_out, -1)
    if bias_spike:
        rows = torch.cat([torch.zeros_like(rows[:, :1]), rows], dim=1)
    times = reference.relpsp_layer(rows, weight, theta, min_slope)
    return times.reshape(b, s_out * s_out, -1).transpose(1, 2).reshape(b, -1, s_out, s_out)
