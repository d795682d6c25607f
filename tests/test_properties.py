"""Property-based tests (Hypothesis) of the configuration dataclasses and the spike encoders.

Configurations: any mix of numbers (NaN, +-inf, negative, huge, floats where whole numbers are
due) either raises ``ValueError`` with a one-line message or gives an object whose numeric
fields are finite, whole where the field is a count, and inside the documented range.
Encoders: for finite inputs in [0, 1] the output has the right shape and dtype, spikes are
binary (delta: -1, 0, 1 with off-spikes), TTFS and latency fire at most once per input and a
brighter input never later; a NaN or an infinity among the inputs raises ``ValueError``.
The runs are derandomised, so every run tries the same examples.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, fields

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.encoders import (
    DeltaParams,
    LatencyParams,
    RateParams,
    TTFSParams,
    delta_spikes,
    latency_spikes,
    latency_times,
    rate_spikes,
    ttfs_spikes,
    ttfs_times,
)
from core.hardware.mesh import YosoConfig
from core.nas.model import NeuronConfig
from core.nas.space import SearchSpace
from core.nas.study import MAX_MINUTES, MAX_TRIALS, Budget
from core.nas.trainer import PRESETS, TrainPreset
from core.neurons.params import MAX_EPOCHS, MAX_SEED, PhysicalParams
from core.neurons.registry import MODELS
from core.relpsp.config import RelpspConfig
from core.training.config import TrainConfig

# Derandomised (the same examples every run), no database, and no wall-time health check:
# a busy machine must not fail a test that is otherwise deterministic.
_COMMON = {"deadline": None, "derandomize": True, "database": None,
           "suppress_health_check": [HealthCheck.too_slow]}
CONFIG = settings(max_examples=100, **_COMMON)
CODES = settings(max_examples=60, **_COMMON)

# Every kind of number a hostile caller passes: NaN, +-inf, subnormal, huge, negative, and
# whole numbers far beyond 64 bits.
SPECIAL = [math.nan, math.inf, -math.inf, 0, -1, 1, 0.5, 1.5, 10**12, 10**20, 1e300, -1e-300]
NUMBERS = st.one_of(st.sampled_from(SPECIAL), st.floats(), st.integers(-(10**20), 10**20))

Range = Callable[[typing.Any], bool]


def at_least(low: float) -> Range:
    return lambda v: v >= low


def between(low: float, high: float, open_low: bool = False, open_high: bool = False) -> Range:
    return lambda v: (v > low if open_low else v >= low) and (v < high if open_high else v <= high)


POSITIVE: Range = lambda v: v > 0  # noqa: E731
UNIT = between(0.0, 1.0)
OPEN_UNIT = between(0.0, 1.0, open_low=True, open_high=True)
SEED = between(0, MAX_SEED)

# Each class, with the documented range of the fields that have one (beyond finite/whole).
RANGES: dict[type, dict[str, Range]] = {
    TrainConfig: {
        "hidden": at_least(1), "steps": at_least(1), "epochs": between(1, MAX_EPOCHS),
        "batch_size": at_least(1), "fan_out": at_least(1), "max_train": at_least(1),
        "max_test": at_least(1), "seed": SEED, "scale": POSITIVE, "lr": POSITIVE,
        "tau_mem_ms": POSITIVE, "tau_syn_ms": POSITIVE, "dt_ms": POSITIVE,
        "weight_scale": POSITIVE, "encoder_tau_ms": POSITIVE, "ttfs_tau_ms": POSITIVE,
        "reg": at_least(0), "reg_quadratic": at_least(0), "rec_weight_scale": at_least(0),
        "beta2": OPEN_UNIT, "ttfs_thr": OPEN_UNIT,
    },
    RelpspConfig: {
        "hidden": at_least(1), "conv_channels": at_least(1), "epochs": between(1, MAX_EPOCHS),
        "batch_size": at_least(1), "eval_size": at_least(1), "seed": SEED,
        "max_train": at_least(1), "lr": POSITIVE, "theta": POSITIVE, "t_max": POSITIVE,
        "min_slope": POSITIVE, "init_gain": POSITIVE, "tau_alpha": POSITIVE,
        "silent_penalty": at_least(0),
    },
    Budget: {"trials": between(1, MAX_TRIALS), "minutes": between(0, MAX_MINUTES, True)},
    NeuronConfig: {"time_steps": between(1, 100), "lif_beta": UNIT,  # as LIFParams.beta
                   "threshold": POSITIVE, "surrogate_scale": POSITIVE},
    TrainPreset: {"epochs": at_least(1), "batch_size": at_least(1), "lr": POSITIVE,
                  "warmup_epochs": at_least(0), "val_fraction": OPEN_UNIT,
                  "layers": between(1, 20), "tpe_startup_trials": at_least(1),
                  "max_train_samples": at_least(1)},
    SearchSpace: {"num_layers": between(1, 20), "filters": at_least(1),
                  "kernels": at_least(1), "pool_after": at_least(0)},
    PhysicalParams: {"tau_mem": POSITIVE, "tau_syn": POSITIVE, "dt": POSITIVE},
    TTFSParams: {"tau": POSITIVE, "thr": OPEN_UNIT, "tmax": POSITIVE, "eps": POSITIVE},
    LatencyParams: {"tau": POSITIVE, "threshold": OPEN_UNIT, "first_spike_time": at_least(0),
                    "epsilon": POSITIVE},
    RateParams: {"first_spike_time": at_least(0)},
    DeltaParams: {"threshold": POSITIVE},
    YosoConfig: {},
}
NEURON_RANGES = {"beta": UNIT, "alpha": UNIT, "threshold": POSITIVE, "dt": POSITIVE,
                 "adapt_tau": POSITIVE, "adapt_b": at_least(0)}
for _model in MODELS:
    RANGES[_model.params] = {f.name: NEURON_RANGES[f.name] for f in fields(_model.params)
                             if f.name in NEURON_RANGES}
# Fields without a default need a value to construct the class at all.
REQUIRED: dict[type, dict[str, object]] = {
    TrainPreset: {"name": "p", "dataset": "digits", "epochs": 2, "batch_size": 8, "lr": 0.01,
                  "warmup_epochs": 0},
    Budget: {"trials": 3},
}
CLASSES = list(RANGES)
# Fields annotated as whole numbers that accept fractions on purpose (or for their owner to
# settle): field -> why.
FRACTIONS_ALLOWED = {
    (YosoConfig, "event_overhead_cycles"): "checked as a number >= 0 (an average overhead per "
                                           "event); core/hardware's owner to decide",
}


def kind(hint: object) -> str | None:
    """"int", "float", "ints" (a tuple of whole numbers) or None (not a number)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return kind(args[0]) if len(args) == 1 else None
    if hint is int:
        return "int"
    if hint is float:
        return "float"
    if typing.get_origin(hint) is tuple and args and args[0] is int:
        return "ints"
    return None


def numeric_fields(cls: type) -> dict[str, str]:
    hints = typing.get_type_hints(cls)
    return {f.name: k for f in fields(cls) if (k := kind(hints[f.name])) is not None}


def defaults(cls: type) -> dict[str, object]:
    out = dict(REQUIRED.get(cls, {}))
    for f in fields(cls):
        if f.name not in out and f.default is not MISSING:
            out[f.name] = f.default
        elif f.name not in out and f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out


def hostile(field_kind: str) -> st.SearchStrategy:
    if field_kind == "ints":
        return st.lists(NUMBERS, max_size=3).map(tuple)
    return NUMBERS


def check_outcome(cls: type, kwargs: dict[str, object]) -> None:
    """ValueError with a one-line message, or an object that is finite and in range."""
    try:
        obj = cls(**kwargs)
    except ValueError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message, repr(message)
        return
    ranges = RANGES[cls]
    for name, field_kind in numeric_fields(cls).items():
        value = getattr(obj, name)
        if value is None:
            continue
        values = value if field_kind == "ints" else (value,)
        for v in values:
            assert not isinstance(v, bool), f"{name} = {v!r}"
            assert isinstance(v, int | float) and math.isfinite(v), f"{name} = {v!r}"
            if field_kind in ("int", "ints") and (cls, name) not in FRACTIONS_ALLOWED:
                assert v == int(v), f"{name} = {v!r} is not a whole number"
            if name in ranges:
                assert ranges[name](v), f"{name} = {v!r} is out of range"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_field_with_every_special_value(cls):
    """The table behind the random tests: each numeric field alone takes each special value
    (whatever examples Hypothesis draws, these are always tried)."""
    for name, field_kind in numeric_fields(cls).items():
        for value in SPECIAL:
            bad = (value,) if field_kind == "ints" else value
            check_outcome(cls, {**defaults(cls), name: bad})


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@CONFIG
@given(data=st.data())
def test_one_bad_field_is_refused_or_in_range(cls, data):
    numeric = numeric_fields(cls)
    assert numeric, f"{cls.__name__} has no numeric field"
    name = data.draw(st.sampled_from(sorted(numeric)))
    kwargs = {**defaults(cls), name: data.draw(hostile(numeric[name]))}
    check_outcome(cls, kwargs)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@CONFIG
@given(data=st.data())
def test_any_mix_of_values_is_refused_or_in_range(cls, data):
    kwargs = defaults(cls)
    for name, field_kind in numeric_fields(cls).items():
        kwargs[name] = data.draw(st.one_of(st.just(kwargs[name]), hostile(field_kind)))
    check_outcome(cls, kwargs)


def test_the_defaults_are_valid():
    for cls in CLASSES:
        check_outcome(cls, defaults(cls))
    assert PRESETS["small"].space("snn").size() > 1


# ---------------------------------------------------------------- encoders

UNIT_FLOATS = st.floats(0.0, 1.0)
IMAGES = st.tuples(st.integers(1, 3), st.integers(1, 6)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=UNIT_FLOATS))
TTFS = st.builds(TTFSParams, tau=st.floats(0.5, 50.0), thr=st.floats(0.01, 0.9),
                 tmax=st.floats(1.0, 200.0))
LATENCY = st.builds(LatencyParams, tau=st.floats(0.5, 20.0), threshold=st.floats(0.01, 0.9),
                    linear=st.booleans(), normalize=st.booleans(), clip=st.booleans())
STEPS = st.integers(1, 60)
BAD = st.sampled_from([math.nan, math.inf, -math.inf])


def with_bad_value(x: np.ndarray, bad: float, where: int) -> torch.Tensor:
    flat = x.copy().reshape(-1)
    flat[where % flat.size] = bad
    return torch.from_numpy(flat.reshape(x.shape))


def first_steps(spikes: torch.Tensor) -> torch.Tensor:
    """Step of each input's first spike, or the window length when it never fires."""
    steps = spikes.shape[0]
    fired = spikes.any(0)
    first = spikes.float().argmax(0)
    return torch.where(fired, first, torch.full_like(first, steps))


def assert_monotone(x: torch.Tensor, times: torch.Tensor) -> None:
    """Over all pairs: a brighter input fires no later."""
    xs, ts = x.reshape(-1), times.reshape(-1).to(torch.float64)
    brighter = xs.unsqueeze(1) > xs.unsqueeze(0)
    later = ts.unsqueeze(1) > ts.unsqueeze(0)
    assert not (brighter & later).any(), (xs.tolist(), ts.tolist())


@CODES
@given(x=IMAGES, params=TTFS, steps=STEPS, dt=st.floats(0.1, 5.0))
def test_ttfs_fires_once_at_most_earlier_when_brighter(x, params, steps, dt):
    xt = torch.from_numpy(x)
    times = ttfs_times(xt, params)
    assert times.shape == xt.shape and times.dtype == xt.dtype
    assert torch.isfinite(times).all() and (times >= 0).all() and (times <= params.tmax).all()
    assert_monotone(xt, times)
    assert np.allclose(ttfs_times(x, params), times.numpy())  # numpy and torch agree
    spikes = ttfs_spikes(xt, steps, params, dt)
    assert spikes.shape == (steps, *x.shape) and spikes.dtype == torch.float32
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    assert (spikes.sum(0) <= 1).all()
    first = first_steps(spikes)
    assert (first <= steps).all()  # a spike's step lies in [0, steps)
    assert_monotone(xt, first)


@CODES
@given(x=IMAGES, params=LATENCY, steps=STEPS)
def test_latency_fires_once_at_most_earlier_when_brighter(x, params, steps):
    xt = torch.from_numpy(x)
    times = latency_times(xt, params, steps)
    assert times.shape == xt.shape and torch.isfinite(times).all()
    assert_monotone(xt, times)
    spikes = latency_spikes(xt, steps, params)
    assert spikes.shape == (steps, *x.shape) and spikes.dtype == torch.float32
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    assert (spikes.sum(0) <= 1).all()
    if not params.clip:  # clipping silences dim inputs, which then "fire" at the end
        assert_monotone(xt, first_steps(spikes))


@CODES
@given(x=IMAGES, steps=STEPS, seed=st.integers(0, 2**32 - 1),
       gain=st.floats(-3.0, 3.0), offset=st.floats(-1.0, 1.0))
def test_rate_spikes_are_binary_with_the_right_shape(x, steps, seed, gain, offset):
    gen = torch.Generator().manual_seed(seed)
    spikes = rate_spikes(torch.from_numpy(x), steps, gen, RateParams(gain, offset))
    assert spikes.shape == (steps, *x.shape) and spikes.dtype == torch.float32
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}


@CODES
@given(series=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 4)),
                     elements=st.floats(-10.0, 10.0)),
       threshold=st.floats(0.01, 5.0), off=st.booleans(), padding=st.booleans())
def test_delta_spikes_are_signed_events_with_the_right_shape(series, threshold, off, padding):
    spikes = delta_spikes(torch.from_numpy(series), DeltaParams(threshold, padding, off))
    assert spikes.shape == series.shape and spikes.dtype == torch.float32
    assert set(spikes.unique().tolist()) <= ({-1.0, 0.0, 1.0} if off else {0.0, 1.0})


@CODES
@given(x=IMAGES, bad=BAD, where=st.integers(0, 100))
def test_a_non_finite_input_is_refused_by_every_code(x, bad, where):
    xt = with_bad_value(x, bad, where)
    calls = [
        lambda: ttfs_times(xt),
        lambda: ttfs_times(xt.numpy()),
        lambda: ttfs_spikes(xt, 5),
        lambda: latency_times(xt, LatencyParams(), 5),
        lambda: latency_spikes(xt, 5),
        lambda: rate_spikes(xt, 5, torch.Generator().manual_seed(0)),
        lambda: delta_spikes(xt),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="finite"):
            call()
