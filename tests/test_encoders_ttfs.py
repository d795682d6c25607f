"""TTFS golden values, edge cases and the spike tensor."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.encoders import TTFSParams, ttfs_spikes, ttfs_times


def test_golden_values_match_the_formula() -> None:
    p = TTFSParams(tau=20.0, thr=0.2, tmax=100.0)
    x = np.array([0.1, 0.5, 0.9, 1.0])
    expected = [100.0, 20 * math.log(0.5 / 0.3), 20 * math.log(0.9 / 0.7), 20 * math.log(1.25)]
    np.testing.assert_allclose(ttfs_times(x, p), expected, rtol=1e-12)
    # hand-computed: 20 ln(5/3) = 10.2165..., 20 ln(1.25) = 4.4629...
    assert ttfs_times(x, p)[1] == pytest.approx(10.216512475319815)
    assert ttfs_times(x, p)[3] == pytest.approx(4.462871026284195)


def test_torch_and_numpy_agree_and_keep_type() -> None:
    x = np.linspace(0, 1, 11)
    t_np = ttfs_times(x, TTFSParams())
    t_th = ttfs_times(torch.tensor(x), TTFSParams())
    assert isinstance(t_np, np.ndarray) and isinstance(t_th, torch.Tensor)
    assert t_th.shape == (11,)
    np.testing.assert_allclose(t_th.numpy(), t_np)


def test_threshold_input_is_finite_and_monotone() -> None:
    p = TTFSParams()
    assert np.isfinite(ttfs_times(np.array([p.thr]), p)).all()
    x = np.linspace(p.thr + 1e-3, 1.0, 50)
    assert (np.diff(ttfs_times(x, p)) < 0).all()  # stronger input fires earlier


def test_spike_tensor_has_one_spike_at_floor_time() -> None:
    x = torch.tensor([[0.1, 0.5, 0.9], [1.0, 0.3, 0.25]])
    spikes = ttfs_spikes(x, nb_steps=30, params=TTFSParams(), dt=1.0)
    assert spikes.shape == (30, 2, 3) and spikes.dtype == torch.float32
    times = ttfs_times(x.double(), TTFSParams())
    for b in range(2):
        for i in range(3):
            step = math.floor(times[b, i].item())
            if step < 30:
                assert spikes[:, b, i].sum() == 1 and spikes[step, b, i] == 1
            else:
                assert spikes[:, b, i].sum() == 0
    assert spikes[:, 0, 0].sum() == 0  # sub-threshold -> tmax=100 >= 30 steps: silent
    assert spikes[10, 0, 1] == 1  # 10.2 ms -> step 10


def test_dt_rescales_steps() -> None:
    spikes = ttfs_spikes(torch.tensor([[0.5]]), nb_steps=10, dt=2.0)
    assert spikes[5, 0, 0] == 1  # 10.2 / 2 -> step 5


@pytest.mark.parametrize(
    "kwargs", [{"tau": 0}, {"thr": 1.0}, {"thr": 0.0}, {"tmax": -1}, {"eps": 0.0}]
)
def test_invalid_params_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TTFSParams(**kwargs)


def test_spikes_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="batch, inputs"):
        ttfs_spikes(torch.zeros(3), nb_steps=5)
    with pytest.raises(ValueError, match="nb_steps"):
        ttfs_spikes(torch.zeros(1, 3), nb_steps=0)
