"""NIR export: the written graph reads back, validates, and reproduces the trained network."""

from __future__ import annotations

import nir
import numpy as np
import pytest
import torch

from core.engine import Weights, forward
from core.training import TrainConfig
from core.training.model import encoder_spikes, init_params, run
from core.training.nir_export import from_nir, to_nir, write_nir


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("image", TrainConfig(hidden=12, recurrent=False, weight_scale=2.0)),
        ("timeseries", TrainConfig(dataset="braille", hidden=10, recurrent=True, fan_out=3,
                                   normalised=True, weight_scale=3.0, rec_weight_scale=0.5,
                                   tau_mem_ms=20.0, tau_syn_ms=10.0)),
    ],
)
def test_nir_round_trip_reproduces_the_readout(tmp_path, kind, config):
    params = init_params(kind, 4, 3, config, torch.Generator().manual_seed(3))
    params = {k: v.detach() for k, v in params.items()}
    dt_ms = 1.5
    path = write_nir(params, config, dt_ms, tmp_path / "net.nir")
    graph = nir.read(path)
    assert isinstance(graph, nir.NIRGraph)
    assert {"input", "fc1", "lif1", "fc2", "readout", "output"} <= set(graph.nodes)
    assert ("rec" in graph.nodes) == config.recurrent
    assert ("enc" in graph.nodes) == (kind == "timeseries")
    assert graph.metadata["dt"] == pytest.approx(dt_ms * 1e-3)
    back, alpha, beta, beta_e = from_nir(graph)
    cfg = config.with_dt(dt_ms)
    assert alpha == pytest.approx(cfg.alpha, rel=1e-5)
    assert beta == pytest.approx(cfg.beta, rel=1e-5)

    gen = torch.Generator().manual_seed(0)
    if kind == "image":
        x = (torch.rand(25, 5, 4, generator=gen) < 0.3).float()
        enc_in = x
    else:
        x = 2 * torch.randn(25, 5, 4, generator=gen)
        enc_in, _ = encoder_spikes(back, x, beta_e, config.scale, config.fan_out)
    original, _ = run(params, x, kind, config, dt_ms)
    rebuilt = forward("reference", enc_in, Weights(back["w1"], back.get("v1"), back["w2"]),
                      alpha, beta, config.scale)
    assert original.counts.sum() > 0
    assert torch.allclose(original.readout, rebuilt.readout, atol=1e-4)


def test_nir_graph_has_consistent_shapes():
    config = TrainConfig(hidden=7, recurrent=True)
    params = init_params("image", 5, 2, config, torch.Generator().manual_seed(0))
    graph = to_nir(params, config, 1.0)
    assert np.asarray(graph.nodes["fc1"].weight).shape == (7, 5)
    assert np.asarray(graph.nodes["rec"].weight).shape == (7, 7)
    assert np.asarray(graph.nodes["fc2"].weight).shape == (2, 7)
    assert np.asarray(graph.nodes["lif1"].v_threshold).tolist() == [1.0] * 7
    assert ("lif1", "rec") in graph.edges and ("rec", "lif1") in graph.edges


def test_unwritable_nir_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = TrainConfig(hidden=3)
    params = init_params("image", 2, 2, config, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="Cannot write the NIR file"):
        write_nir(params, config, 1.0, blocker / "sub" / "net.nir")
