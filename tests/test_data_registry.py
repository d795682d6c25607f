"""The data-set registry: each loader's declared facts, the per-method lists and defaults."""

from __future__ import annotations

import math

import pytest

from core.data import DATASET_INFO, dataset_info, dataset_names, load_dataset
from core.data.info import METHODS, DatasetInfo
from core.training.defaults import DEFAULTS, default_config
from tests.support import BRAILLE


def test_every_loader_declares_consistent_facts() -> None:
    assert dataset_names() == ("digits", "fashion-mnist", "mnist", "shd", "braille", "cifar10")
    for name, info in DATASET_INFO.items():
        assert info.name == name and info.title and info.description
        assert info.kind in ("image", "timeseries", "spikes")
        assert info.classes is None or len(info.classes) == info.num_classes
        assert info.offline == (not info.sources)
        assert set(info.defaults) <= set(METHODS)
        for remote in info.sources:  # pinned in the loader, referenced here
            assert remote.sha256 or remote.md5
    assert [n for n, i in DATASET_INFO.items() if i.offline] == ["digits"]


def test_declared_facts_match_what_the_loaders_return() -> None:
    digits = load_dataset("digits")
    info = dataset_info("digits")
    assert digits.input_shape == info.input_shape and digits.kind == info.kind
    assert digits.classes == info.classes and digits.num_classes == info.num_classes
    if BRAILLE.is_file():
        braille = load_dataset("braille", BRAILLE)
        info = dataset_info("braille")
        assert braille.input_shape == info.input_shape and braille.classes == info.classes


def test_lists_per_method_are_read_from_the_loaders() -> None:
    assert dataset_names("surrogate") == ("digits", "fashion-mnist", "mnist", "shd", "braille")
    assert dataset_names("relpsp") == ("digits", "fashion-mnist", "mnist", "braille")
    assert dataset_names("nas") == ("digits", "fashion-mnist", "mnist", "cifar10")
    assert tuple(DEFAULTS) == dataset_names("surrogate")
    assert {n: dataset_info(n).defaults_for("nas")["preset"] for n in dataset_names("nas")} == {
        "digits": "small", "fashion-mnist": "fashion", "mnist": "mnist-full", "cifar10": "study"}
    with pytest.raises(ValueError, match="Unknown method"):
        dataset_names("annealing")
    with pytest.raises(ValueError, match="no nas settings"):
        dataset_info("shd").defaults_for("nas")
    with pytest.raises(ValueError, match="Unknown data set"):
        dataset_info("emnist")


def test_image_shapes_are_channels_first() -> None:
    shapes = {n: i.image_shape for n, i in DATASET_INFO.items() if i.kind == "image"}
    assert shapes == {"digits": (1, 8, 8), "fashion-mnist": (1, 28, 28), "mnist": (1, 28, 28),
                      "cifar10": (3, 32, 32)}
    with pytest.raises(ValueError, match="not images"):
        _ = dataset_info("shd").image_shape


def test_declared_defaults_cannot_be_changed_in_place() -> None:
    info = dataset_info("digits")
    with pytest.raises(TypeError):
        info.defaults["surrogate"]["hidden"] = 1  # type: ignore[index]
    copy = info.defaults_for("surrogate")
    copy["hidden"] = 1
    assert info.defaults_for("surrogate")["hidden"] == 100
    with pytest.raises(ValueError, match="class names"):
        DatasetInfo("x", "X", "image", "x", (2, 2), 3, load=lambda *a, **k: None, classes=("a",))
    with pytest.raises(ValueError, match="unknown methods"):
        DatasetInfo("x", "X", "image", "x", (2, 2), 1, load=lambda *a, **k: None,
                    defaults={"svm": {}})


def test_surrogate_defaults_are_the_literature_values() -> None:
    """The values moved from core/training/defaults.py into the loaders, unchanged."""
    t2 = 7.0 * (1.0 - math.exp(-1.0 / 10.0))
    expected = {
        "digits": dict(hidden=100, steps=50, epochs=30, batch_size=128, lr=2e-3,
                       optimizer="adam", recurrent=False, weight_scale=t2),
        "fashion-mnist": dict(hidden=100, steps=100, epochs=30, batch_size=256, lr=2e-4,
                              optimizer="adam", recurrent=False, weight_scale=t2),
        "mnist": dict(hidden=100, steps=100, epochs=30, batch_size=256, lr=2e-4,
                      optimizer="adam", recurrent=False, weight_scale=t2),
        "shd": dict(hidden=200, steps=100, reg=2e-6, reg_quadratic=2e-6, epochs=200,
                    batch_size=256, lr=2e-4, optimizer="adamax", recurrent=True,
                    weight_scale=0.2, rec_weight_scale=0.2),
        "braille": dict(hidden=450, steps=152, reg=1.7e-8, epochs=60, batch_size=128, lr=5e-3,
                        optimizer="adamax", beta2=0.995, recurrent=True, tau_mem_ms=20.0,
                        tau_syn_ms=10.0, weight_scale=3.0, rec_weight_scale=0.03,
                        normalised=True),
    }
    for name, values in expected.items():
        config = default_config(name)
        assert {k: getattr(config, k) for k in values} == values, name


def test_lists_per_kind_and_the_nir_simulations_list() -> None:
    from core.interop.nir_run import SIM_DATASETS

    assert dataset_names(kinds=("spikes",)) == ("shd",)
    assert dataset_names("nas", kinds=["image"]) == ("digits", "fashion-mnist", "mnist", "cifar10")
    assert SIM_DATASETS == dataset_names("surrogate", ("image", "timeseries")) == (
        "digits", "fashion-mnist", "mnist", "braille")
    with pytest.raises(ValueError, match="Unknown data kind 'video'"):
        dataset_names(kinds=("video",))
