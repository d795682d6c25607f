"""Random shifts of spike-time images (ReL-PSP's --augment) and dropped spikes (--dropout)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from core.relpsp.augment import crop, drop_spikes, shift_images
from core.relpsp.config import RelpspConfig
from core.relpsp.network import forward, init_params

INF = math.inf


def _image() -> torch.Tensor:
    return torch.arange(16, dtype=torch.float64).reshape(1, 4, 4)


def test_the_middle_offset_leaves_an_image_where_it_was() -> None:
    torch.testing.assert_close(crop(_image(), torch.tensor([[2], [2]]), 2), _image())


def test_an_offset_moves_the_image_and_silences_what_comes_in() -> None:
    moved = crop(_image(), torch.tensor([[0], [3]]), 2)[0]  # 2 rows down, 1 column left
    expected = torch.full((4, 4), INF, dtype=torch.float64)
    expected[2:, :3] = _image()[0, :2, 1:]
    torch.testing.assert_close(moved, expected)


def test_each_image_of_a_batch_gets_its_own_offset() -> None:
    images = torch.rand(64, 28 * 28, generator=torch.Generator().manual_seed(0))
    a = shift_images(images, 2, torch.Generator().manual_seed(1))
    b = shift_images(images, 2, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == images.shape
    finite = torch.isfinite(a)
    assert (finite.sum(1) >= 24 * 24).all()  # at most 2 rows and 2 columns leave the frame
    moved = (~finite).any(1)  # a shifted image has silent pixels; an unmoved one has none
    assert 40 < int(moved.sum()) < 64  # 24 of 25 offsets move an image
    for i in range(64):  # every pixel that stays is one of the image's own
        assert set(a[i][finite[i]].tolist()) <= set(images[i].tolist())
    assert shift_images(images, 0, torch.Generator()) is images


def test_only_images_are_shifted() -> None:
    assert RelpspConfig(dataset="digits", augment=2).augment == 2
    with pytest.raises(ValueError, match="shifts images"):
        RelpspConfig(dataset="braille", augment=1)
    with pytest.raises(ValueError, match="augment"):
        RelpspConfig(dataset="digits", augment=40)
    with pytest.raises(ValueError, match="use at most 2"):  # 8x8 digits
        RelpspConfig(dataset="digits", augment=3)
    assert RelpspConfig(dataset="mnist", augment=8).augment == 8


def test_dropout_silences_about_its_share_of_spikes() -> None:
    t = torch.rand(200, 500, generator=torch.Generator().manual_seed(0))
    t[:, :100] = INF  # already silent inputs stay silent
    dropped = drop_spikes(t, 0.25, torch.Generator().manual_seed(1))
    kept = torch.isfinite(dropped)
    assert torch.equal(dropped[kept], t[kept])  # a spike that stays keeps its time
    assert not kept[:, :100].any()
    assert 0.24 < 1 - kept[:, 100:].float().mean() < 0.26
    assert drop_spikes(t, 0.0, torch.Generator()) is t


def test_dropout_acts_in_training_only_and_scales_the_weights() -> None:
    config = RelpspConfig(hidden=(40,), dropout=0.5)
    params = init_params(config, 64, 10, 8, torch.Generator().manual_seed(0))
    t_in = torch.rand(32, 64, generator=torch.Generator().manual_seed(2)) * 5
    plain = replace(config, dropout=0.0)
    evaluated = forward(params, t_in, config)  # no generator: evaluation
    torch.testing.assert_close(evaluated.output, forward(params, t_in, plain).output)
    trained = forward(params, t_in, config, torch.Generator().manual_seed(3))
    assert (~torch.isfinite(trained.inputs[0])).float().mean() > 0.4
    # with half the inputs gone and the weights doubled, a hidden neuron's input slope is
    # about what it was: its spike moves, but on average by little
    hidden_shift = (trained.layers[0] - evaluated.layers[0]).abs()
    assert torch.isfinite(trained.layers[0]).float().mean() > 0.9
    assert hidden_shift[torch.isfinite(hidden_shift)].median() < 0.5 * t_in.mean()
