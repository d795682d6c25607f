"""Every command's data-set choices are the registry's; flag defaults are the dataclasses'."""

from __future__ import annotations

import argparse
from dataclasses import fields, replace

import pytest

from core.cli import build_parser
from core.cli import nas as nas_cli
from core.cli import relpsp_train as relpsp_cli
from core.data.registry import dataset_info, dataset_names
from core.relpsp.config import DATASETS as RELPSP_DATASETS
from core.relpsp.config import RelpspConfig, default_config
from core.training.config import TrainConfig


def _sub(*path: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def _choices(parser: argparse.ArgumentParser, dest: str) -> tuple[str, ...]:
    return tuple(next(a for a in parser._actions if a.dest == dest).choices)


@pytest.mark.parametrize(("command", "method"), [
    (("train",), "surrogate"),
    (("sweep",), "surrogate"),
    (("relpsp", "train"), "relpsp"),
    (("nas",), "nas"),
    (("data",), None),
])
def test_dataset_choices_are_the_registrys(command: tuple[str, ...], method: str | None) -> None:
    assert _choices(_sub(*command), "dataset") == dataset_names(method)


def test_relpsp_config_lists_the_registrys_datasets() -> None:
    assert RELPSP_DATASETS == dataset_names("relpsp")


def test_relpsp_train_defaults_are_relpsp_configs() -> None:
    args = build_parser().parse_args(["relpsp", "train"])
    assert relpsp_cli._config(args) == RelpspConfig()  # digits sets no defaults of its own
    flags = {f.name for f in fields(RelpspConfig)} & set(vars(args))
    assert set(relpsp_cli._FLAGS) == flags - {"dataset"}  # every config flag reaches it
    parser = _sub("relpsp", "train")
    assert _choices(parser, "arch") == ("fc", "conv", "csnn")  # csnn: the C-SNN preset
    assert _choices(parser, "psp") == ("relpsp", "alpha")
    assert _choices(parser, "encoding") == ("latency", "ttfs")


@pytest.mark.parametrize("dataset", RELPSP_DATASETS)
def test_relpsp_train_takes_each_data_sets_defaults_unless_a_flag_is_given(dataset) -> None:
    args = build_parser().parse_args(["relpsp", "train", "--dataset", dataset])
    own = dataset_info(dataset).defaults_for("relpsp")
    config = relpsp_cli._config(args)
    assert config == replace(RelpspConfig(dataset=dataset), **own)
    given = build_parser().parse_args(
        ["relpsp", "train", "--dataset", dataset, "--lr", "0.0123", "--hidden", "7"])
    assert relpsp_cli._config(given) == replace(config, lr=0.0123, hidden=(7,))


def test_relpsp_train_takes_the_gradient_bound_and_the_shifts() -> None:
    args = build_parser().parse_args(
        ["relpsp", "train", "--dataset", "mnist", "--clip-grad", "20", "--augment", "2",
         "--amsgrad", "--time-penalty", "0.005", "--dropout", "0.25",
         "--margin", "6"])
    config = relpsp_cli._config(args)
    assert (config.clip_grad, config.augment, config.amsgrad) == (20.0, 2, True)
    assert (config.time_penalty, config.dropout, config.margin) == (0.005, 0.25, 6.0)
    plain = relpsp_cli._config(build_parser().parse_args(["relpsp", "train"]))
    assert (plain.clip_grad, plain.augment, plain.amsgrad, plain.dropout) == (0.0, 0, False, 0.0)


def test_fashion_mnist_has_relpsp_defaults_of_its_own() -> None:
    assert dataset_info("fashion-mnist").defaults_for("relpsp")  # the measured settings
    assert default_config("fashion-mnist") != RelpspConfig(dataset="fashion-mnist")


def test_train_defaults_and_choices_are_train_configs() -> None:
    from core.engine import ENGINES
    from core.training.config import DEVICES, OPTIMIZERS

    args = build_parser().parse_args(["train"])
    assert args.dataset == TrainConfig.dataset
    parser = _sub("train")
    assert _choices(parser, "optimizer") == OPTIMIZERS
    assert _choices(parser, "engine") == ENGINES
    assert _choices(parser, "device") == DEVICES


def test_nas_defaults_are_search_specs() -> None:
    from core.nas.study import SearchSpec
    from core.nas.trainer import PRESETS

    args = build_parser().parse_args(["nas", "--algorithm", "random"])
    assert (args.dataset, args.model) == (SearchSpec.dataset, SearchSpec.model)
    assert set(nas_cli.PRESET_NAMES) == set(PRESETS)
    for name in dataset_names("nas"):  # each data set's default recipe was made for it
        assert PRESETS[dataset_info(name).defaults_for("nas")["preset"]].dataset == name


def test_nas_storage_default_is_nas_db_beside_the_run_db(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    assert nas_cli._default_storage() == f"sqlite:///{tmp_path / 'nas.db'}"
