"""One entry point for every encoder: ``encode(x, method, num_steps, ...) -> SpikeEncoding``.

Static encoders (ttfs, latency, rate) take inputs [batch, inputs] in [0, 1]; delta takes a time
series [batch, time, channels]. All return the dense spike tensor [time, batch, inputs] together
with its sparse event form.
"""

from __future__ import annotations

import torch

from core.encoders.delta import DeltaParams, delta_spikes
from core.encoders.latency import LatencyParams, latency_spikes
from core.encoders.rate import RateParams, rate_spikes
from core.encoders.sparse import SpikeEncoding
from core.encoders.ttfs import TTFSParams, ttfs_spikes

METHODS: tuple[str, ...] = ("ttfs", "latency", "rate", "delta")
EncoderParams = TTFSParams | LatencyParams | RateParams | DeltaParams
_PARAMS: dict[str, type] = {
    "ttfs": TTFSParams,
    "latency": LatencyParams,
    "rate": RateParams,
    "delta": DeltaParams,
}


def default_params(method: str) -> EncoderParams:
    if method not in _PARAMS:
        raise ValueError(f"Unknown encoder {method!r}; choose one of {', '.join(METHODS)}.")
    return _PARAMS[method]()


def encode(
    x: torch.Tensor,
    method: str,
    num_steps: int,
    params: EncoderParams | None = None,
    generator: torch.Generator | None = None,
    dt: float = 1.0,
) -> SpikeEncoding:
    """Encode ``x`` with ``method``; ``generator`` is required by the random (rate) code.

    ``num_steps`` is ignored by delta, whose length is that of the series.
    """
    params = default_params(method) if params is None else params
    if not isinstance(params, _PARAMS[method]):
        wanted, got = _PARAMS[method].__name__, type(params).__name__
        raise ValueError(f"{method} needs {wanted}, not {got}.")
    if method == "delta":
        if x.dim() != 3:
            raise ValueError(
                f"Delta needs a series [batch, time, channels] (got {tuple(x.shape)})."
            )
        dense = delta_spikes(x.transpose(0, 1).to(torch.float32), params)  # type: ignore[arg-type]
        return SpikeEncoding.from_dense(method, dense, dt)
    if x.dim() != 2:
        raise ValueError(f"{method} needs inputs [batch, inputs] (got {tuple(x.shape)}).")
    if method == "ttfs":
        dense = ttfs_spikes(x, num_steps, params, dt)  # type: ignore[arg-type]
    elif method == "latency":
        dense = latency_spikes(x, num_steps, params)  # type: ignore[arg-type]
    else:
        if generator is None:
            raise ValueError("The rate code is random: pass a torch.Generator (seeded).")
        dense = rate_spikes(x, num_steps, generator, params)  # type: ignore[arg-type]
    return SpikeEncoding.from_dense(method, dense, dt)
