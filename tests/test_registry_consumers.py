"""Training, NAS and the Playground take their neurons from the registry, and only from there.

Every test here runs over ``model_names(trainable=True)``, so a model added to the registry is
checked by it without a line changed; the ``alif`` tests name the adaptive LIF that proves it.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from dataclasses import asdict

import pytest
import torch

from core.cli import main
from core.engine import FAST_NEURONS, Weights, engine_for, forward, spytorch_loss
from core.engine.reference import hidden_reference
from core.nas.model import ConvNet, NeuronConfig
from core.nas.space import NEURONS, STUDY_NEURONS, Architecture, study_space
from core.nas.study import SearchSpec
from core.neurons.registry import model_names
from core.neurons.surrogate import fast_sigmoid_spike
from core.playground.network import NetworkSpec, leaks
from core.playground.session import Playground, PlaygroundConfig
from core.training import TrainConfig
from core.training.model import encoder_spikes
from core.training.nir_export import to_nir
from tests.golden import spytorch_hidden
from tests.nas_support import tiny_environment

TRAINABLE = model_names(trainable=True)




def _weights(dtype: torch.dtype, recurrent: bool, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(30, 5, 20, generator=g) < 0.3).to(dtype)
    w1 = (torch.randn(20, 16, generator=g) * 0.8).to(dtype).requires_grad_()
    v1 = (torch.randn(16, 16, generator=g) * 0.3).to(dtype).requires_grad_()
    w2 = torch.randn(16, 4, generator=g).to(dtype).requires_grad_()
    return x, Weights(w1, v1 if recurrent else None, w2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("recurrent", [False, True])
def test_reference_synaptic_layer_is_the_old_formulation_bit_for_bit(dtype, recurrent):
    results = []
    for fn in (spytorch_hidden, hidden_reference):
        x, w = _weights(dtype, recurrent)
        spikes, mem = fn(x, w.w1, w.v1, 0.8, 0.9, 10.0)
        (spikes.sum() + (mem * spikes).sum()).backward()
        results.append([spikes, mem, *(p.grad for p in (w.w1, w.v1) if p is not None)])
    assert results[0][0].sum() > 20
    for old, new in zip(*results, strict=True):
        assert torch.equal(old, new)


def _old_encoder_spikes(params, values, beta_e, scale, fan_out):
    """Tutorial 5's encoder layer as written before the registry (kept to pin it down)."""
    currents = params["enc_gain"] * (values.repeat(1, 1, fan_out) + params["enc_bias"])
    mem = torch.zeros_like(currents[0])
    spikes, mems = [], []
    for t in range(currents.shape[0]):
        spk = fast_sigmoid_spike(mem - 1.0, scale)
        spikes.append(spk)
        mems.append(mem)
        mem = (beta_e * mem + (1.0 - beta_e) * currents[t]) * (1.0 - spk.detach())
    return torch.stack(spikes), torch.stack(mems)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_encoder_layer_is_the_old_formulation_bit_for_bit(dtype):
    results = []
    for fn in (_old_encoder_spikes, encoder_spikes):
        g = torch.Generator().manual_seed(0)
        params = {"enc_gain": (torch.randn(12, generator=g) * 3).to(dtype).requires_grad_(),
                  "enc_bias": torch.randn(12, generator=g).to(dtype).requires_grad_()}
        spikes, mem = fn(params, torch.rand(60, 4, 3, generator=g).to(dtype), 0.95, 100.0, 4)
        (spikes.sum() + (mem * mem).sum()).backward()
        results.append([spikes, mem, params["enc_gain"].grad, params["enc_bias"].grad])
    assert results[0][0].sum() > 20
    for old, new in zip(*results, strict=True):
        assert torch.equal(old, new)


@pytest.mark.parametrize("neuron", TRAINABLE)
def test_every_trainable_neuron_trains_on_the_reference_engine(neuron):
    x, w = _weights(torch.float64, recurrent=True)
    output = forward(engine_for(neuron), x, w, 0.8, 0.9, 10.0, neuron)
    assert output.readout.shape == (30, 5, 4) and output.spikes.sum() > 0
    spytorch_loss(output, torch.arange(5) % 4).backward()
    assert all(p.grad is not None and p.grad.abs().max() > 0 for p in w if p is not None)


def test_engine_choice_follows_the_neuron():
    assert FAST_NEURONS == ("synaptic",) and engine_for("synaptic") == "fast"
    others = [n for n in TRAINABLE if n not in FAST_NEURONS]
    assert others and all(engine_for(n) == "reference" for n in others)
    assert engine_for("lif", "reference") == "reference"
    with pytest.raises(ValueError, match="fast engine accelerates only the synaptic"):
        engine_for("lif", "fast")
    with pytest.raises(ValueError, match="fast engine accelerates only"):
        TrainConfig(neuron="lif")
    with pytest.raises(ValueError, match="neuron must be one of"):
        TrainConfig(neuron="hodgkin-huxley", engine="reference")
    assert TrainConfig.from_dict({"hidden": 3}).neuron == "synaptic"  # runs saved before


def test_nir_export_refuses_a_model_it_cannot_map():
    config = TrainConfig(neuron="lif", engine="reference")
    params = {"w1": torch.zeros(3, 2), "w2": torch.zeros(2, 2)}
    with pytest.raises(ValueError, match="CubaLIF"):
        to_nir(params, config, 1.0)


def _cli(argv: list[str]) -> tuple[int, dict]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(argv)
    lines = out.getvalue().strip().splitlines()
    return code, (json.loads(lines[-1]) if code == 0 else {})


TINY_TRAIN = ["train", "--dataset", "digits", "--epochs", "1", "--hidden", "16", "--steps", "15",
              "--max-train", "64", "--max-test", "32", "--json"]


@pytest.mark.parametrize("neuron", ["lif", "alif"])
def test_train_cli_takes_a_neuron_and_falls_back_to_the_reference_engine(
    neuron, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    code, result = _cli([*TINY_TRAIN, "--neuron", neuron])
    assert code == 0
    assert result["config"]["neuron"] == neuron and result["config"]["engine"] == "reference"
    assert len(result["history"]) == 1 and result["run_id"] is not None
    assert "training on the reference engine" in capsys.readouterr().err
    code, listing = _cli(["runs", "--kind", "surrogate", "--json"])
    assert [r["id"] for r in listing["runs"]] == [result["run_id"]]


def test_train_cli_refuses_fast_or_nir_for_other_neurons(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    assert main([*TINY_TRAIN, "--neuron", "lif", "--engine", "fast"]) == 2
    assert main([*TINY_TRAIN, "--neuron", "lif", "--nir", str(tmp_path / "x.nir")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[0].startswith("error: The fast engine accelerates only the synaptic neuron")
    assert errors[-1].startswith("error: NIR export maps only the synaptic neuron")
    assert not (tmp_path / "x.nir").exists()


def test_nas_labels_come_from_the_registry():
    assert NEURONS == tuple(n.upper() for n in TRAINABLE)
    assert study_space().neurons == STUDY_NEURONS == ("IF", "LIF")
    assert SearchSpec("random").space().choices()["neuron"] == ("IF", "LIF")
    assert SearchSpec("random", neurons=("IF", "LIF")).neurons is None  # the study's own
    assert "neurons" not in SearchSpec("random").to_attrs()  # stored studies read as before
    spec = SearchSpec("random", neurons=["LIF", "SYNAPTIC"])  # a list, as a stored study has
    assert spec.space().choices()["neuron"] == ("LIF", "SYNAPTIC")
    assert spec.default_name == "digits-snn-random-small-LIF+SYNAPTIC"
    stored = {**asdict(spec), "neurons": ["LIF", "SYNAPTIC"]}  # as JSON gives it back
    assert SearchSpec.from_attrs(stored) == spec
    with pytest.raises(ValueError, match="Searched neurons"):
        SearchSpec("random", neurons=("IF", "HH"))


@pytest.mark.parametrize("neuron", NEURONS)
def test_every_registry_neuron_runs_in_the_conv_snn(neuron):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = ConvNet(Architecture("snn", ((4, 3), (4, 3)), neuron, "soft"), 1, 10, (0,),
                      NeuronConfig())
    logits, counts = net(torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(1)))
    logits.sum().backward()
    assert logits.shape == (3, 10) and counts.min() > 0
    assert net.convs[0].weight.grad.abs().max() > 0


@pytest.fixture
def _tiny_nas(monkeypatch, tmp_path):
    yield from tiny_environment(monkeypatch, tmp_path)


@pytest.mark.parametrize("neuron", ["lif", "alif"])
def test_nas_cli_fixes_a_registry_neuron(neuron, _tiny_nas, tmp_path):
    code, out = _cli(["nas", "--algorithm", "random", "--neuron", neuron, "--trials", "1",
                      "--storage", str(tmp_path / "nas.db"), "--json"])
    assert code == 0
    assert out["study"] == f"digits-snn-random-small-{neuron.upper()}"
    assert [t["neuron"] for t in out["trials"]] == [neuron.upper()]


def test_nas_cli_neurons_sets_the_searched_choices(_tiny_nas, tmp_path, capsys):
    storage = str(tmp_path / "nas.db")
    code, out = _cli(["nas", "--algorithm", "random", "--neurons", "synaptic,lif", "--trials", "2",
                      "--storage", storage, "--json"])
    assert code == 0 and out["study"] == "digits-snn-random-small-SYNAPTIC+LIF"
    assert {t["neuron"] for t in out["trials"]} <= {"SYNAPTIC", "LIF"}
    with pytest.raises(SystemExit) as exc:
        main(["nas", "--algorithm", "random", "--neurons", "IF,HH", "--storage", storage])
    assert exc.value.code == 2
    assert "expected neurons of" in capsys.readouterr().err


@pytest.mark.parametrize("neuron", TRAINABLE)
def test_every_trainable_neuron_learns_in_the_playground(neuron):
    spec = NetworkSpec(neuron=neuron)
    assert leaks(neuron) == (neuron != "if")
    pg = Playground(PlaygroundConfig(network=spec))
    pg.train_steps(5)
    metrics = pg.evaluate()
    assert metrics.step == 5 and 0.0 <= metrics.test_accuracy <= 1.0
    mem, spikes = pg.probe((0.5, -0.5), layer=1, neuron=0)
    assert mem.shape == spikes.shape == (PlaygroundConfig().encoding.steps,)


def test_playground_refuses_an_unknown_neuron():
    with pytest.raises(ValueError, match="neuron must be one of"):
        NetworkSpec(neuron="hh")


def test_alif_reaches_every_consumer_from_its_registry_line():
    assert "alif" in TRAINABLE and "ALIF" in NEURONS and engine_for("alif") == "reference"
    TrainConfig(neuron="alif", engine="reference")
    NetworkSpec(neuron="alif")
    Architecture("snn", ((4, 3),), "ALIF", "hard")


def test_page_neuron_choices_come_from_the_registry(tmp_path, monkeypatch):
    from tests.support import open_page

    at = open_page("playground.py", tmp_path, monkeypatch)
    radio = at.radio(key="pg_neuron")
    assert radio.options == [n.upper() for n in TRAINABLE]
    for neuron in TRAINABLE:
        radio.set_value(neuron).run()
        assert not at.exception
        assert at.session_state["pg_runner"].config.network.neuron == neuron
        assert at.slider(key="pg_beta").disabled == (not leaks(neuron))
    at = open_page("training.py", tmp_path, monkeypatch)
    assert at.selectbox(key="tr_neuron").value == "synaptic"
    at.selectbox(key="tr_neuron").set_value("lif").run()
    assert not at.exception and not at.error
