"""Networks written by Norse's ``to_nir`` (issue 25, item 4): stored with ``portable``, read in
Norse's dt·tau convention, they step exactly as Norse steps them; read as plain NIR they are
refused with a sentence that names the convention. An imported network may be fed analog
currents instead of spikes, and the simulation says which input it used."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
import torch

from core.interop.nir_graph import import_graph, read_graph
from core.interop.nir_norse import NORSE_DT, portable
from core.interop.nir_run import import_nir, simulate_run, stored_import
from core.interop.nir_sim import simulate
from core.store import RunStore

norse = pytest.importorskip("norse.torch")
from norse.torch.utils.export_nir import to_nir  # noqa: E402

STEPS, BATCH = 40, 3


def norse_net(n_in: int = 64, hidden: int = 20, n_out: int = 10) -> torch.nn.Module:
    """Linear -> LIF (box) -> Linear -> leaky integrator, Norse's default 10 ms at dt = 1 ms."""
    torch.manual_seed(0)
    model = norse.SequentialState(torch.nn.Linear(n_in, hidden), norse.LIFBoxCell(),
                                  torch.nn.Linear(hidden, n_out), norse.LIBoxCell())
    with torch.no_grad():
        model[0].weight.mul_(6.0)  # hidden neurons that fire on the test's input
    return model


def norse_readout(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The leaky integrator's voltage [T, B, n] as Norse computes it, step by step."""
    state, out = None, []
    with torch.no_grad():
        for t in range(x.shape[0]):
            y, state = model(x[t], state)
            out.append(y)
    return torch.stack(out)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    model = norse_net()
    path = tmp_path_factory.mktemp("norse") / "norse.nir"
    nir.write(str(path), portable(to_nir(model, torch.zeros(1, 64))))
    return model, path


def test_portable_turns_norse_tensors_into_arrays() -> None:
    graph = portable(to_nir(norse_net(), torch.zeros(1, 64)))
    values = [getattr(node, f) for node in graph.nodes.values()
              for f in ("tau", "weight") if hasattr(node, f)]
    assert values and all(isinstance(v, np.ndarray) for v in values)


def test_a_norse_file_read_as_nir_names_the_convention(written) -> None:
    _, path = written
    with pytest.raises(ValueError, match="shorter than the time step.*Norse convention"):
        import_graph(read_graph(path))


def test_a_norse_file_in_norse_convention_steps_as_norse_does(written) -> None:
    model, path = written
    net = import_graph(read_graph(path), convention="norse")
    assert net.dt == NORSE_DT and net.convention == "norse"
    x = 2.0 * (torch.rand(STEPS, BATCH, 64, generator=torch.Generator().manual_seed(1)) < 0.3)
    result = simulate(net, x.float())
    ours = result.layers[-1].mem.reshape(STEPS, BATCH, -1)
    theirs = norse_readout(model, x.float())
    assert result.layers[1].spikes.sum() > 20  # the hidden layer fires
    assert torch.allclose(ours, theirs, atol=1e-4)


def test_the_convention_is_stored_and_reread(written, tmp_path: Path) -> None:
    _, path = written
    store = RunStore(tmp_path / "runs.db")
    summary = import_nir(path, store, convention="norse")
    assert summary["convention"] == "norse" and summary["dt_s"] == NORSE_DT
    digest = summary["sha256"]
    assert stored_import(store, digest, convention="norse") == summary["run_id"]
    assert stored_import(store, digest) is None  # read as plain NIR it is another network
    result = simulate_run(store, summary["run_id"], "digits", samples=20)
    assert result["input_encoding"] == "spikes" and result["samples"] == 20


def test_an_image_network_can_be_fed_analog_currents(written, tmp_path: Path) -> None:
    _, path = written
    store = RunStore(tmp_path / "runs.db")
    run_id = import_nir(path, store, convention="norse")["run_id"]
    spikes = simulate_run(store, run_id, "digits", samples=20)
    current = simulate_run(store, run_id, "digits", samples=20, encoding="current")
    assert current["input_encoding"] == "current"
    assert store.get_run(run_id).metrics["input_encoding"] == "current"
    assert current["input_spikes"] is False and spikes["input_spikes"] is True
    with pytest.raises(ValueError, match="input must be one of"):
        simulate_run(store, run_id, "digits", samples=2, encoding="pixels")
