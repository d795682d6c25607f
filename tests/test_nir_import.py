"""NIR import: SpikeLab's own export round-trips, library graphs match snnTorch, bad files fail
with a sentence naming the node."""

from __future__ import annotations

import nir
import numpy as np
import pytest
import torch

from core.interop.nir_graph import import_graph, read_graph
from core.interop.nir_sim import simulate
from core.training import TrainConfig
from core.training.model import init_params, run
from core.training.nir_export import write_nir
from tests.nir_support import DT, cuba_lif, library_graph, lif, snntorch_spikes


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        ("image", TrainConfig(hidden=12, recurrent=False, weight_scale=2.0)),
        ("timeseries", TrainConfig(dataset="braille", hidden=10, recurrent=True, fan_out=3,
                                   normalised=True, weight_scale=3.0, rec_weight_scale=0.5,
                                   tau_mem_ms=20.0, tau_syn_ms=10.0)),
    ],
)
def test_own_export_round_trips_to_the_same_readout_and_spikes(tmp_path, kind, config):
    params = init_params(kind, 4, 3, config, torch.Generator().manual_seed(3))
    params = {k: v.detach() for k, v in params.items()}
    path = write_nir(params, config, 1.5, tmp_path / "net.nir")
    net = import_graph(read_graph(path))
    assert net.dialect == "spikelab" and net.dt == pytest.approx(1.5e-3)
    assert [layer.recurrent is not None for layer in net.layers][-2] == config.recurrent
    gen = torch.Generator().manual_seed(0)
    x = ((torch.rand(25, 5, 4, generator=gen) < 0.3).float() if kind == "image"
         else 2 * torch.randn(25, 5, 4, generator=gen))
    original, enc = run(params, x, kind, config, 1.5)
    result = simulate(net, x)
    hidden = result.layers[-2]
    assert original.counts.sum() > 0
    assert torch.equal(hidden.spikes, original.spikes)
    assert torch.allclose(result.layers[-1].mem, original.readout, atol=1e-4)
    if enc is not None:
        assert torch.equal(result.layers[1].spikes, enc)


def test_library_graph_imports_with_sizes_and_neurons(tmp_path):
    nir.write(tmp_path / "lib.nir", library_graph())
    net = import_graph(read_graph(tmp_path / "lib.nir"))
    assert net.layer_sizes == [4, 6, 5] and net.dt == DT and net.dialect == "nir"
    lif1, lif2 = net.describe()
    assert (lif1["nir_type"], lif1["model"]) == ("LIF", "lif")
    assert lif1["beta"] == pytest.approx(0.9) and lif1["input_scale"] == pytest.approx(1.0)
    assert (lif2["nir_type"], lif2["model"]) == ("CubaLIF", "cuba")
    assert lif2["alpha"] == pytest.approx(0.8) and lif2["beta"] == pytest.approx(0.9)


@pytest.mark.parametrize("seed", [0, 1])
def test_same_spikes_as_snntorch_import_from_nir(tmp_path, seed):
    """snnTorch adds the CubaLIF's current of the same step: order "snntorch" matches it
    exactly; SpikeLab's default Euler order fires the same spikes one step later."""
    graph = library_graph(seed=seed)
    nir.write(tmp_path / "lib.nir", graph)
    graph = read_graph(tmp_path / "lib.nir")
    x = (torch.rand(40, 3, 4, generator=torch.Generator().manual_seed(seed)) < 0.4).float()
    theirs = snntorch_spikes(graph, x, ("lif1", "lif2"))
    same_step = simulate(import_graph(graph, order="snntorch"), x)
    euler = simulate(import_graph(graph), x)
    assert theirs["lif1"].sum() > 0 and theirs["lif2"].sum() > 0
    assert torch.equal(same_step.layers[1].spikes, theirs["lif1"])
    assert torch.equal(same_step.layers[2].spikes, theirs["lif2"])
    assert torch.equal(euler.layers[1].spikes, theirs["lif1"])
    assert torch.equal(euler.layers[2].spikes[1:], theirs["lif2"][:-1])


def test_conv_flatten_graph_runs_and_counts_like_neurobench():
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(3, 1, 3, 3)).astype(np.float32)
    nodes = {
        "input": nir.Input(input_type={"input": np.array([1, 6, 6])}),
        "conv": nir.Conv2d(input_shape=(6, 6), weight=weight, stride=1, padding=0, dilation=1,
                           groups=1, bias=np.zeros(3, dtype=np.float32)),
        "lif": nir.LIF(tau=np.full((3, 4, 4), 1e-3, np.float32),
                       r=np.full((3, 4, 4), 10.0, np.float32),
                       v_leak=np.zeros((3, 4, 4), np.float32),
                       v_threshold=np.ones((3, 4, 4), np.float32),
                       v_reset=np.zeros((3, 4, 4), np.float32)),
        "flat": nir.Flatten(input_type={"input": np.array([3, 4, 4])}, start_dim=0),
        "fc": nir.Linear(weight=rng.normal(size=(2, 48)).astype(np.float32)),
        "out_lif": lif(2),
        "output": nir.Output(output_type={"output": np.array([2])}),
    }
    edges = [("input", "conv"), ("conv", "lif"), ("lif", "flat"), ("flat", "fc"),
             ("fc", "out_lif"), ("out_lif", "output")]
    net = import_graph(nir.NIRGraph(nodes=nodes, edges=edges))
    assert net.layer_sizes == [36, 48, 2]
    x = torch.zeros(5, 2, 36)
    x[0, 0, 14] = 1.0  # one spike in the middle of the 6x6 image: it reaches 3 x 3 x 3 outputs
    result = simulate(net, x)
    assert result.counts[0].acs == 27
    assert result.counts[0].dense == 3 * 9 * 16 * 5 * 2  # every weight at every position
    assert result.layers[1].spikes.shape == (5, 2, 3, 4, 4)


def _graph(**changes) -> nir.NIRGraph:
    graph = library_graph()
    nodes, edges = dict(graph.nodes), list(graph.edges)
    for name, node in changes.items():
        if node is None:
            nodes.pop(name)
        else:
            nodes[name] = node
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        (lambda: _graph(lif1=nir.Threshold(threshold=np.ones(6, np.float32))),
         "Node 'lif1' is a Threshold, which SpikeLab cannot simulate"),
        (lambda: _graph(fc2=nir.Linear(weight=np.ones((5, 7), np.float32))),
         "Shape mismatch at node 'fc2': its weight takes 7 inputs, but it receives shape"),
        (lambda: _graph(lif2=cuba_lif(4)), "Shape mismatch at node 'lif2'"),
        (lambda: _graph(output=nir.Output(output_type={"output": np.array([3])})),
         "Shape mismatch at the Output node 'output'"),
        (lambda: _graph(lif1=lif(6, tau=5e-5)), "shorter than the time step"),
        (lambda: nir.NIRGraph(nodes=library_graph().nodes,
                              edges=[*library_graph().edges, ("lif2", "fc1")], type_check=False),
         "closes a loop: SpikeLab supports only a neuron's own recurrent weights"),
        (lambda: nir.NIRGraph(nodes=library_graph().nodes,
                              edges=[*library_graph().edges, ("fc1", "lif2")], type_check=False),
         "feeds 2 nodes"),
        (lambda: nir.NIRGraph(nodes=library_graph().nodes, edges=[("input", "fc9")],
                              type_check=False), "names node 'fc9'"),
    ],
)
def test_graphs_spikelab_cannot_represent_are_refused_by_name(graph, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        import_graph(graph())


def test_nested_subgraph_and_nonzero_reset_are_refused():
    inner = nir.NIRGraph(nodes={"i": nir.Input(input_type={"input": np.array([6])}),
                                "o": nir.Output(output_type={"output": np.array([6])})},
                         edges=[("i", "o")])
    with pytest.raises(ValueError, match="Node 'lif1' is a nested NIR graph"):
        import_graph(_graph(lif1=inner))
    node = lif(6)
    node.v_reset = np.full(6, -0.5, np.float32)
    with pytest.raises(ValueError, match="Node 'lif1': v_reset = -0.5"):
        import_graph(_graph(lif1=node))


def test_truncated_and_foreign_files_are_clear_errors(tmp_path):
    nir.write(tmp_path / "good.nir", library_graph())
    data = (tmp_path / "good.nir").read_bytes()
    (tmp_path / "cut.nir").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.nir").write_text("not hdf5")
    for name in ("cut.nir", "text.nir"):
        with pytest.raises(ValueError, match="is not a readable NIR file"):
            read_graph(tmp_path / name)
    with pytest.raises(ValueError, match="There is no NIR file"):
        read_graph(tmp_path / "missing.nir")
    with pytest.raises(ValueError, match="uploaded file is not a readable NIR file"):
        read_graph(data[:100])


def test_if_and_li_follow_the_stated_equations():
    """IF: U += r x per step; LI: U = beta U + (r dt/tau) x + (dt/tau) v_leak."""
    nodes = {
        "input": nir.Input(input_type={"input": np.array([1])}),
        "w": nir.Linear(weight=np.ones((1, 1), np.float32)),
        "if": nir.IF(r=np.full(1, 0.4, np.float32), v_threshold=np.ones(1, np.float32),
                     v_reset=np.zeros(1, np.float32)),
        "w2": nir.Linear(weight=np.ones((1, 1), np.float32)),
        "li": nir.LI(tau=np.full(1, 4e-4, np.float32), r=np.full(1, 2.0, np.float32),
                     v_leak=np.full(1, 0.5, np.float32)),
        "output": nir.Output(output_type={"output": np.array([1])}),
    }
    edges = [("input", "w"), ("w", "if"), ("if", "w2"), ("w2", "li"), ("li", "output")]
    net = import_graph(nir.NIRGraph(nodes=nodes, edges=edges))
    result = simulate(net, torch.ones(6, 1, 1))
    # IF: 0.4, 0.8, 1.2 -> spike, restart: 0.4, 0.8, 1.2 -> spike
    assert result.layers[1].spikes.flatten().tolist() == [0, 0, 1, 0, 0, 1]
    beta, u, expected = 0.75, 0.0, []
    for s in [0, 0, 1, 0, 0, 1]:
        u = beta * u + 0.25 * 2.0 * s + 0.25 * 0.5
        expected.append(u)
    assert result.layers[2].mem.flatten().tolist() == pytest.approx(expected, rel=1e-5)


def test_a_file_with_an_unknown_node_type_names_the_node(tmp_path):
    import h5py

    nir.write(tmp_path / "net.nir", library_graph())
    with h5py.File(tmp_path / "net.nir", "r+") as f:
        del f["node/nodes/lif1/type"]
        f["node/nodes/lif1/type"] = b"Foo"
    with pytest.raises(ValueError, match="Node 'lif1' is a Foo, which SpikeLab cannot"):
        read_graph(tmp_path / "net.nir")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(ValueError, match="an HDF5 file but not a NIR graph"):
        read_graph(tmp_path / "other.h5")
