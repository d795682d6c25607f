"""ReL-PSP layer times against a brute-force grid, STDBP gradients against finite differences,
the gradient guard, and the alpha-PSP comparison layer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import lambertw

from core.neurons.relpsp import first_spike_time, grid_spike_time
from core.relpsp.alpha import alpha_layer, alpha_times, lambert_w0
from core.relpsp.functional import relpsp_layer, relpsp_times, stdbp_grads

GRID = 2e-5  # brute-force resolution; a kink inside one grid cell costs at most this much


def random_case(
    seed: int, batch: int, n_in: int, n_out: int, silent: float = 0.15, mean: float = 0.15
):
    gen = torch.Generator().manual_seed(seed)
    t = torch.rand(batch, n_in, generator=gen, dtype=torch.float64) * 4.0
    t[torch.rand(batch, n_in, generator=gen) < silent] = math.inf
    w = torch.randn(n_in, n_out, generator=gen, dtype=torch.float64) * 0.6 + mean
    return t, w


def grid_time(
    t: np.ndarray, w: np.ndarray, theta: float, kernel: str, horizon: float, tau: float = 1.0
):
    """Brute force on [0, horizon]; long horizons (silent neurons) use a 1e-4 grid."""
    spikes = np.isfinite(t)
    if not spikes.any():
        return None
    res = GRID if horizon < 10 else 1e-4
    return grid_spike_time(t[spikes], w[spikes], theta, horizon, res, kernel, tau)


@pytest.mark.parametrize("seed", [0, 1])
def test_relpsp_layer_times_match_a_fine_grid(seed: int) -> None:
    t, w = random_case(seed, batch=12, n_in=5, n_out=4)
    w[:, 3] = -w[:, 3].abs()  # an inhibited neuron never fires
    out = relpsp_times(t, w, theta=1.0).numpy()
    fired = silent = 0
    for b in range(t.shape[0]):
        ti = t[b].numpy()
        last = float(ti[np.isfinite(ti)].max())
        for j in range(w.shape[1]):
            wj = w[:, j].numpy()
            horizon = out[b, j] + 0.5 if math.isfinite(out[b, j]) else last + 1.0
            ref = grid_time(ti, wj, 1.0, "relpsp", horizon)
            if ref is None:
                assert math.isinf(out[b, j])
                # V is linear after the last input: with slope <= 0 it never reaches theta.
                assert wj[np.isfinite(ti)].sum() <= 0
                silent += 1
            else:
                assert abs(out[b, j] - ref) < 1e-4
                fired += 1
    assert fired > 10 and silent > 0  # both branches are exercised


def test_relpsp_layer_agrees_with_the_single_neuron_engine() -> None:
    t, w = random_case(3, batch=64, n_in=9, n_out=7)
    out = relpsp_times(t, w, theta=0.8).numpy()
    per_neuron = first_spike_time(t.numpy()[:, None, :], w.numpy().T[None], 0.8)
    np.testing.assert_array_equal(np.isinf(out), np.isinf(per_neuron))
    np.testing.assert_allclose(out[np.isfinite(out)], per_neuron[np.isfinite(per_neuron)],
                               rtol=1e-12)


def test_stdbp_gradients_by_hand() -> None:
    # Inputs at 1, 2, 3 with weights 0.5 and theta 1: C = {1, 2}, sum_C w = 1, t_out = 2.5.
    t = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64, requires_grad=True)
    w = torch.full((3, 1), 0.5, dtype=torch.float64, requires_grad=True)
    out = relpsp_layer(t, w, 1.0, min_slope=1e-9)
    assert out.item() == pytest.approx(2.5)
    out.sum().backward()
    torch.testing.assert_close(t.grad, torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64))
    torch.testing.assert_close(w.grad, torch.tensor([[-1.5], [-0.5], [0.0]], dtype=torch.float64))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stdbp_gradients_match_finite_differences(seed: int) -> None:
    t, w = random_case(10 + seed, batch=6, n_in=5, n_out=3, silent=0.0, mean=0.5)
    t.requires_grad_(True)
    w.requires_grad_(True)

    def fired_times(t_in: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        out = relpsp_layer(t_in, weight, 1.0, min_slope=1e-12)
        return torch.where(torch.isfinite(out), out, torch.zeros_like(out))

    assert torch.isfinite(relpsp_times(t.detach(), w.detach(), 1.0)).sum() >= 10
    assert torch.autograd.gradcheck(fired_times, (t, w), eps=1e-7, atol=1e-5, rtol=1e-4)


def test_guard_bounds_the_gradient_of_a_nearly_flat_neuron() -> None:
    # sum_C w = 0.01: the exact dt/dw is (t_i - t_j) / 0.01, huge; the guard divides by 0.3.
    t = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    w = torch.tensor([[0.006], [0.004]], dtype=torch.float64)
    t_out = relpsp_times(t, w, 1.0)
    assert t_out.item() == pytest.approx((1.0 + 0.004) / 0.01)
    g = torch.ones_like(t_out)
    _, exact = stdbp_grads(g, t, w, t_out, min_slope=1e-12)
    _, guarded = stdbp_grads(g, t, w, t_out, min_slope=0.3)
    torch.testing.assert_close(guarded, exact * (0.01 / 0.3))
    assert guarded.abs().max() <= (t_out - t).abs().max() / 0.3 + 1e-9
    # A neuron with a steep slope is not touched by the guard.
    w_steep = torch.tensor([[0.6], [0.6]], dtype=torch.float64)
    t_steep = relpsp_times(t, w_steep, 1.0)
    a = stdbp_grads(g, t, w_steep, t_steep, 1e-12)[1]
    torch.testing.assert_close(a, stdbp_grads(g, t, w_steep, t_steep, 0.3)[1])


def test_silent_neurons_and_silent_inputs_get_no_gradient() -> None:
    t = torch.tensor([[0.5, math.inf, 1.0]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[1.0, -1.0], [5.0, -1.0], [1.0, -1.0]], dtype=torch.float64,
                     requires_grad=True)
    out = relpsp_layer(t, w, 1.0)
    assert math.isfinite(out[0, 0].item()) and math.isinf(out[0, 1].item())
    torch.where(torch.isfinite(out), out, torch.zeros_like(out)).sum().backward()
    assert t.grad[0, 1] == 0 and (w.grad[1] == 0).all() and (w.grad[:, 1] == 0).all()


def test_lambert_w0_matches_scipy() -> None:
    z = torch.linspace(-math.exp(-1.0) + 1e-12, 0.0, 2001, dtype=torch.float64)
    ref = torch.from_numpy(lambertw(z.numpy()).real)
    torch.testing.assert_close(lambert_w0(z), ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("seed", [0, 1])
def test_alpha_layer_times_match_a_fine_grid(seed: int) -> None:
    t, w = random_case(20 + seed, batch=10, n_in=5, n_out=3)
    w = w * 1.5
    out = alpha_times(t, w, theta=1.0, tau=1.0).numpy()
    fired = silent = 0
    for b in range(t.shape[0]):
        for j in range(w.shape[1]):
            horizon = out[b, j] + 0.5 if math.isfinite(out[b, j]) else 40.0
            ref = grid_time(t[b].numpy(), w[:, j].numpy(), 1.0, "alpha", horizon, 1.0)
            if ref is None:
                assert math.isinf(out[b, j])
                silent += 1
            else:
                assert abs(out[b, j] - ref) < 1e-4
                fired += 1
    assert fired > 5 and silent > 0


def test_alpha_gradients_match_finite_differences() -> None:
    gen = torch.Generator().manual_seed(5)
    t = (torch.rand(8, 4, generator=gen, dtype=torch.float64) * 3).requires_grad_(True)
    w = (torch.rand(4, 3, generator=gen, dtype=torch.float64) * 1.2 + 0.2).requires_grad_(True)

    def fired_times(t_in: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        out = alpha_layer(t_in, weight, 1.0, 1.0, min_slope=1e-12)
        return torch.where(torch.isfinite(out), out, torch.zeros_like(out))

    assert torch.isfinite(alpha_times(t.detach(), w.detach(), 1.0, 1.0)).sum() >= 12
    assert torch.autograd.gradcheck(fired_times, (t, w), eps=1e-7, atol=1e-5, rtol=1e-4)


def test_small_weights_kill_alpha_neurons_but_relpsp_neurons_fire_late() -> None:
    t = torch.tensor([[0.0, 0.5, 1.0, 1.5]], dtype=torch.float64)
    w = torch.full((4, 1), 0.2, dtype=torch.float64)  # alpha peak at most 0.8 < theta
    assert math.isinf(alpha_times(t, w, 1.0, 1.0).item())
    late = relpsp_times(t, w, 1.0).item()
    assert late == pytest.approx((1.0 + 0.2 * 3.0) / 0.8)
