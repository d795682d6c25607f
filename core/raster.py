"""One spike raster for every page: the events of a [time, units] spike array.

Training (hidden layer, encoder, input spikes), Encoding (every code, SHD samples) and any
later page turn their spikes into a :class:`SpikeRaster` here; ``app/figures/raster.py`` draws
it. Values other than 0 are events: counts (SHD bins) count as one event, negative values
(the delta code's off-spikes) keep their sign so the figure can tell them apart.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class SpikeRaster(NamedTuple):
    """Events of one sample, ordered by time step then unit."""

    times: np.ndarray  # event times, in the unit of ``dt`` (ms, or steps when dt = 1)
    units: np.ndarray  # neuron, input or channel index of each event
    signs: np.ndarray  # +1 for a spike, -1 for an off-spike
    duration: float  # length of the window: steps * dt

    @property
    def count(self) -> int:
        return int(self.times.shape[0])


def spike_raster(spikes: np.ndarray, dt: float = 1.0) -> SpikeRaster:
    """The raster of ``spikes`` [time, units]; time step ``dt`` (ms, or 1 for steps)."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 2:
        raise ValueError(f"A raster needs spikes [time, units] (got shape {spikes.shape}).")
    steps, units = np.nonzero(spikes)
    return SpikeRaster(
        times=steps * dt,
        units=units,
        signs=np.sign(spikes[steps, units]).astype(np.int8),
        duration=float(spikes.shape[0] * dt),
    )
