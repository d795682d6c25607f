"""A network built in snnTorch, written by snnTorch's own export (mended), fires the same spikes
in SpikeLab (order "snntorch") as in snnTorch."""

from __future__ import annotations

import nir
import snntorch as snn
import torch
from snntorch import utils

from core.interop.nir_graph import import_graph, read_graph
from core.interop.nir_sim import simulate
from core.interop.snntorch_export import export_snntorch


def test_snntorch_network_exported_by_snntorch_runs_identically(tmp_path):
    torch.manual_seed(0)
    common = {"init_hidden": True, "reset_mechanism": "zero", "reset_delay": False}
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 6), snn.Leaky(beta=0.9, **common),
        torch.nn.Linear(6, 3), snn.Synaptic(alpha=0.8, beta=0.85, output=True, **common),
    )
    with torch.no_grad():
        net[0].weight.mul_(3.0)
        net[2].weight.mul_(3.0)
    nir.write(tmp_path / "snn.nir", export_snntorch(net, torch.zeros(1, 4)))
    imported = import_graph(read_graph(tmp_path / "snn.nir"), order="snntorch")
    assert imported.layer_sizes == [4, 6, 3]
    x = (torch.rand(40, 5, 4, generator=torch.Generator().manual_seed(1)) < 0.5).float()
    hidden: list[torch.Tensor] = []
    out: list[torch.Tensor] = []
    net[1].register_forward_hook(lambda _m, _i, spikes: hidden.append(spikes))
    utils.reset(net)
    with torch.no_grad():
        for t in range(x.shape[0]):
            out.append(net(x[t])[0])
    snn.SpikingNeuron.instances.clear()
    ours = simulate(imported, x)
    assert torch.stack(hidden).sum() > 0 and torch.stack(out).sum() > 0
    assert torch.equal(ours.layers[1].spikes, torch.stack(hidden))
    assert torch.equal(ours.layers[2].spikes, torch.stack(out))
