"""Spike encoders: turn values and time series into spike tensors [time, batch, inputs]."""

from core.encoders.api import METHODS, EncoderParams, default_params, encode
from core.encoders.delta import DeltaParams, delta_spikes
from core.encoders.latency import LatencyParams, latency_spikes, latency_times
from core.encoders.rate import RateParams, rate_probabilities, rate_spikes
from core.encoders.sparse import SpikeEncoding, to_dense, to_sparse
from core.encoders.ttfs import TTFSParams, ttfs_spikes, ttfs_times

__all__ = [
    "METHODS",
    "DeltaParams",
    "EncoderParams",
    "LatencyParams",
    "RateParams",
    "SpikeEncoding",
    "TTFSParams",
    "default_params",
    "delta_spikes",
    "encode",
    "latency_spikes",
    "latency_times",
    "rate_probabilities",
    "rate_spikes",
    "to_dense",
    "to_sparse",
    "ttfs_spikes",
    "ttfs_times",
]
