"""The hardware registry: every model describes itself, its knobs become flags and link fields,
an unknown name is refused in one line, and parameters reach every model (YOSO's E_AC/E_MAC
included)."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from core.cli import build_parser, main
from core.hardware import YosoConfig, fc_workload
from core.hardware.params import flag_name, knobs, shown, si, url_name
from core.hardware.registry import (
    ENERGY_MODELS,
    MODELS,
    get_model,
    knob_fields,
    make_model,
    make_params,
    model_names,
)

PJ = 1e-12
NET = fc_workload((784, 800, 10), (100, 80, 10))
KNOB_KEYS = ("label", "help", "min", "max", "step", "unit", "scale", "source", "group")


@pytest.fixture(params=model_names())
def name(request: pytest.FixtureRequest) -> str:
    return request.param


def test_every_model_describes_itself(name: str) -> None:
    model = get_model(name)
    assert model.name == name and ENERGY_MODELS[name] is model
    assert model.label and model.summary and model.maps
    assert set(model.reports) <= {"latency", "mesh"}
    assert knobs(model.params), f"{name} has no parameter a user can set"
    for f in knobs(model.params):
        assert all(f.metadata.get(key) is not None for key in KNOB_KEYS), f.name
        assert f.metadata["min"] <= shown(f, f.default) <= f.metadata["max"], f.name
        assert si(f, shown(f, f.default)) == pytest.approx(f.default), f.name
    report = make_model(name).estimate(NET)
    assert report.model == name
    assert ("latency" in model.reports) == (report.latency_s is not None)
    assert ("mesh" in model.reports) == ("mesh" in report.extra)


def test_shared_knobs_agree_and_names_are_unique() -> None:
    """A name two models share is one widget and one flag: same default and metadata."""
    seen = knob_fields()
    for model in MODELS:
        for f in knobs(model.params):
            assert f.default == seen[f.name].default, (model.name, f.name)
            assert dict(f.metadata) == dict(seen[f.name].metadata), (model.name, f.name)
    urls = [url_name(f) for f in seen.values()]
    flags = [flag_name(f) for f in seen.values()]
    assert len(set(urls)) == len(urls) and len(set(flags)) == len(flags)
    assert len(model_names(baseline=True)) == 1  # the ANN the figures draw dashed


def test_the_cli_and_the_page_are_generated_from_the_registry() -> None:
    parser = next(a for a in build_parser()._actions if a.choices and "energy" in a.choices)
    energy = parser.choices["energy"]
    flags = {s for a in energy._actions for s in a.option_strings}
    hardware = next(a for a in energy._actions if "--hardware" in a.option_strings)
    assert tuple(hardware.choices) == model_names()
    for f in knob_fields().values():
        assert flag_name(f) in flags
    # the flags that existed before the registry keep their names (a contract)
    assert {"--rows", "--cols", "--neurons-per-pe", "--weight-bits", "--weight-sram-kib",
            "--clock-mhz", "--leakage-uw", "--e-ac-pj", "--e-mac-pj"} <= flags
    assert {"rows", "cols", "npe", "wbits", "wsram", "clock", "leak", "eac", "emac"} <= {
        url_name(f) for f in knob_fields().values()}


def test_an_unknown_model_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="Unknown hardware 'nope'; choose one of yoso"):
        get_model("nope")
    with pytest.raises(ValueError, match="Unknown hardware"):
        make_model("nope")
    with pytest.raises(SystemExit):
        main(["energy", "--hardware", "nope", "--arch", "4-2", "--spikes", "1,1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert "invalid choice: 'nope'" in err[-1] and "Traceback" not in "\n".join(err)


def test_yoso_takes_e_ac_and_e_mac_through_make_model() -> None:
    base = make_model("yoso").estimate(NET)
    custom = make_model("yoso", e_ac_j=2 * PJ, e_mac_j=10 * PJ)
    assert custom.config.e_ac_j == 2 * PJ
    report = custom.estimate(NET)
    assert report.ann_energy_j == pytest.approx((784 * 800 + 800 * 10) * 10 * PJ)
    assert report.layers[0].synaptic_ops == 100 * 800
    # the mesh's own energy is priced by its events, not by E_AC
    assert report.energy_per_frame_j == pytest.approx(base.energy_per_frame_j)
    assert make_model("yoso", YosoConfig(rows=5), e_ac_j=3 * PJ).config.rows == 5


def test_make_model_and_make_params_check_their_keys() -> None:
    with pytest.raises(ValueError, match="ops has no parameter rows"):
        make_model("ops", rows=4)
    with pytest.raises(ValueError, match="takes a OpsConfig"):
        make_model("ops", YosoConfig())
    params = make_params("ops", e_ac_j=1 * PJ, rows=4)  # the mesh's knob is not the ops model's
    assert params.e_ac_j == 1 * PJ and "rows" not in {f.name for f in fields(params)}
    with pytest.raises(ValueError, match=r"E_AC \(pJ\) must be 0 or more \(got -1"):
        make_params("ops", e_ac_j=-1 * PJ)


def test_flags_reach_every_model(capsys: pytest.CaptureFixture[str], name: str) -> None:
    args = ["energy", "--hardware", name, "--arch", "784-800-10", "--spikes", "100,80,10",
            "--e-mac-pj", "10", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    expected = make_model(name, make_params(name, e_mac_j=10 * PJ)).estimate(NET)
    assert out["hardware"] == name
    assert out["ann_energy_j"] == pytest.approx(expected.ann_energy_j)
    assert out["energy_per_frame_j"] == pytest.approx(expected.energy_per_frame_j)
