"""The conv SNN's fast path: its LIF/IF time loop fused into one autograd op, and the precision
and memory layout its convolutions run in.

The neuron is the NAS network's (``core.nas.model``): ``snntorch.Leaky`` with its delayed reset,
and the fast-sigmoid surrogate (Zenke & Ganguli 2018)::

    U[t] = beta * U[t-1] + I[t] - R[t],   S[t] = H(U[t] - theta)
    R[t] = theta * S[t-1] (soft),  beta * U[t-1] * S[t-1] (hard),  0 (none)
    dS[t]/dU[t] := 1 / (k |U[t] - theta| + 1)^2

The reset carries no gradient through the spikes, so going back in time

    dL/dU[t] = dL/dS[t] * dS[t]/dU[t] + c[t] * dL/dU[t+1],   dL/dI[t] = dL/dU[t]
    c[t] = beta (soft, none),  beta * (1 - S[t]) (hard).

``fused_spikes`` runs the forward over all T steps in one compiled pass (no autograd graph) and
keeps only ``U[t] - theta`` for the backward (its sign gives the spikes back), in the current's
dtype; the backward is one compiled pass over reversed T. In float32 the forward does exactly
the reference loop's float32 operations in its order (``core.neurons.loop.run_model``): the
spikes are bit-identical; the gradients agree to float32 rounding (autograd sums the hard
reset's two terms in another order). The kernels read and write bfloat16 too (as its bits), so
under bfloat16 autocast the membrane still integrates in float32 and the spikes (0 or 1) are
exact.

The mode (``conv_mode``): ``"reference"`` (the generic loop, float32, the oracle), ``"fp32"``
(fused loop, float32) or ``"bf16"`` (the same with channels_last convolutions under bfloat16
autocast, float32 master weights). ``ConvNet(fast=...)`` picks one; without it the environment
variable ``SPIKELAB_CONV_FAST`` does: ``0`` forces the reference, ``fp32`` the float32 fast path,
anything else (or unset) is automatic: bfloat16 where the CPU computes it natively
(``avx512_bf16`` or ``amx_bf16`` in ``/proc/cpuinfo``), else float32.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numba
import numpy as np
import torch
from numba import types
from numba.extending import overload

from core.heap import retain_freed_memory
from core.jit import jit, match_torch_threads

MODES: tuple[str, ...] = ("reference", "fp32", "bf16")
ENV = "SPIKELAB_CONV_FAST"
RESET_CODES = {"none": 0, "soft": 1, "hard": 2}
#: Neurons a thread takes at a time: their membranes and spikes stay in a small scratch array
#: through the time loop, and the inner loop over them vectorises.
BLOCK = 2048
_PASS = {"parallel": True, "error_model": "numpy"}

retain_freed_memory()  # a step's [T*B, C, H, W] maps (50-100 MB) reused, not faulted in anew


@functools.lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines()
                  if line.startswith("flags")), [])
    return "avx512_bf16" in flags or "amx_bf16" in flags


def conv_mode(requested: str | None = None) -> str:
    """The mode to run: ``requested`` if given, else from ``SPIKELAB_CONV_FAST`` (see above)."""
    if requested is None:
        env = os.environ.get(ENV, "").strip().lower()
        if env in ("0", "off", "false", "reference"):
            return "reference"
        requested = "fp32" if env == "fp32" else ("bf16" if native_bf16() else "fp32")
    if requested not in MODES:
        raise ValueError(f"The conv mode must be one of {', '.join(MODES)} (got {requested!r}).")
    return requested


def _load(value):
    """A float32 element, or bfloat16 bits held in int16, as float32 (compiled by type)."""


def _encode(value, like):
    """A float32 ``value`` as an element of an array of ``like``'s type (bfloat16 bits:
    rounded to nearest even)."""


@overload(_load, inline="always")
def _load_impl(value):
    if isinstance(value, types.Integer):
        return lambda value: np.uint32((np.int32(value) & 0xFFFF) << 16).view(np.float32)
    return lambda value: np.float32(value)


@overload(_encode, inline="always")
def _encode_impl(value, like):
    if isinstance(like, types.Integer):
        def bits(value, like):
            raw = np.float32(value).view(np.uint32)
            raw = np.uint32(raw + np.uint32(0x7FFF) + ((raw >> np.uint32(16)) & np.uint32(1)))
            return np.int16(np.uint16(raw >> np.uint32(16)))
        return bits
    return lambda value, like: np.float32(value)


@jit(**_PASS)
def lif_forward(cur, const, steps, beta, threshold, reset, spikes, saved, fired):
    """Spikes [T n] and U - theta [T n] (both flat) for the current cur: [T n], or [n] at every
    step when ``const``, and the spike count of each block (``fired``, one entry per block).
    Arrays are float32, or int16 bfloat16 bits."""
    n = spikes.size // steps
    beta, threshold = np.float32(beta), np.float32(threshold)
    one, zero = np.float32(1.0), np.float32(0.0)
    # drop = hard * mem * S + soft * S: exactly one term (or none) is non-zero
    hard = beta if reset == 2 else zero
    soft = threshold if reset == 1 else zero
    kind_h, kind_s = saved[0], spikes[0]  # element types only (read once: no aliasing)
    for block in numba.prange(-(-n // BLOCK)):
        lo = block * BLOCK
        size = min(n, lo + BLOCK) - lo
        mem = np.zeros(size, np.float32)
        spk = np.zeros(size, np.float32)
        count = 0
        for t in range(steps):
            src, dst = (0 if const else t * n) + lo, t * n + lo
            # slices of this block: the loop below then vectorises (no aliasing checks)
            c, sv, sp = cur[src:src + size], saved[dst:dst + size], spikes[dst:dst + size]
            for j in range(size):
                s = spk[j]
                m = beta * mem[j] + _load(c[j]) - (hard * mem[j] * s + soft * s)
                h = m - threshold
                s = one if h > zero else zero
                mem[j], spk[j] = m, s
                sv[j] = _encode(h, kind_h)
                sp[j] = _encode(s, kind_s)
                count += 1 if h > zero else 0
        fired[block] = count


@jit(**_PASS)
def lif_backward(grad, saved, const, steps, beta, scale, reset, out):
    """dL/dI (flat [T n], or [n] summed over steps when ``const``) from dL/dS and U - theta."""
    n = saved.size // steps
    beta, scale = np.float32(beta), np.float32(scale)
    one, zero = np.float32(1.0), np.float32(0.0)
    hard = reset == 2
    kind = out[0]  # the element type only (read once: no aliasing)
    for block in numba.prange(-(-n // BLOCK)):
        lo = block * BLOCK
        size = min(n, lo + BLOCK) - lo
        gu = np.zeros(size, np.float32)
        per_step = np.empty((steps if const else 0, size), np.float32)
        for t in range(steps - 1, -1, -1):
            at = t * n + lo
            sv, g_in, g_out = saved[at:at + size], grad[at:at + size], out[at:at + size]
            for j in range(size):
                h = _load(sv[j])
                d = scale * abs(h) + one
                carry = zero if hard and h > zero else beta * gu[j]
                gu[j] = _load(g_in[j]) / (d * d) + carry
                if const:
                    per_step[t, j] = gu[j]
                else:
                    g_out[j] = _encode(gu[j], kind)
        if const:  # summed in step order, as autograd sums an expanded input's gradient
            for j in range(size):
                total = per_step[0, j]
                for t in range(1, steps):
                    total += per_step[t, j]
                out[lo + j] = _encode(total, kind)


def _format(x: torch.Tensor) -> torch.memory_format:
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


def _flat(x: torch.Tensor) -> np.ndarray:
    """The memory of a dense tensor as a flat NumPy array (bfloat16 as its int16 bits)."""
    flat = x.as_strided((x.numel(),), (1,), x.storage_offset())
    return (flat.view(torch.int16) if x.dtype == torch.bfloat16 else flat).numpy()


class FusedLIF(torch.autograd.Function):
    """The LIF/IF time loop over [T*B, ...] (or a constant [B, ...]) as one op."""

    @staticmethod
    def forward(ctx, current, steps, beta, threshold, reset, scale, const):
        fmt = _format(current)
        current = current.contiguous(memory_format=fmt)
        shape = (current.shape[0] * steps, *current.shape[1:]) if const else current.shape
        spikes = torch.empty(shape, dtype=current.dtype, memory_format=fmt)
        saved = torch.empty_like(spikes)
        fired = np.zeros(-(-(spikes.numel() // steps) // BLOCK), np.int64)  # one per block
        match_torch_threads()
        lif_forward(_flat(current), const, steps, beta, threshold, RESET_CODES[reset],
                    _flat(spikes), _flat(saved), fired)
        ctx.save_for_backward(saved)
        count = torch.tensor(float(fired.sum()), dtype=torch.float32)
        ctx.mark_non_differentiable(count)
        ctx.args = (const, steps, beta, scale, RESET_CODES[reset], fmt, current.shape)
        return spikes, count

    @staticmethod
    def backward(ctx, grad, _count_grad):
        (saved,) = ctx.saved_tensors
        const, steps, beta, scale, reset, fmt, in_shape = ctx.args
        grad = grad.to(saved.dtype).contiguous(memory_format=fmt)
        out = torch.empty(in_shape, dtype=saved.dtype, memory_format=fmt)
        match_torch_threads()
        lif_backward(_flat(grad), _flat(saved), const, steps, beta, scale, reset, _flat(out))
        return out, None, None, None, None, None, None


def fused_spikes(
    current: torch.Tensor,
    steps: int,
    beta: float,
    threshold: float,
    reset: str,
    scale: float,
    const: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes [T*B, ...] of neurons driven by ``current`` ([T*B, ...] time-major, or [B, ...]
    the same at every step when ``const``), with the fast-sigmoid surrogate of slope ``scale``,
    and their number (a float32 scalar without gradient).
    """
    if reset not in RESET_CODES:
        raise ValueError(f"The reset must be one of {', '.join(RESET_CODES)} (got {reset!r}).")
    if current.dtype not in (torch.float32, torch.bfloat16) or current.device.type != "cpu":
        raise ValueError("The fused neuron loop runs on float32 or bfloat16 CPU tensors.")
    if not const and current.shape[0] % steps:
        raise ValueError(f"The current's first axis ({current.shape[0]}) is not T x batch.")
    return FusedLIF.apply(current, int(steps), float(beta), float(threshold), reset,
                          float(scale), bool(const))
