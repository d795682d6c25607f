"""Spike encoders: turn values and time series into spike tensors [time, batch, inputs]."""

from core.encoders.ttfs import TTFSParams, ttfs_spikes, ttfs_times

__all__ = ["TTFSParams", "ttfs_spikes", "ttfs_times"]
