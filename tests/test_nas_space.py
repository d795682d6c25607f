"""The search space: choices, validation, parameter round trip and the greedy moves."""

from __future__ import annotations

import pytest

from core.nas.space import (
    Architecture,
    SearchSpace,
    architecture_from_params,
    neighbours,
    params_from_architecture,
    small_space,
    study_space,
)


def test_study_space_is_the_papers():
    space = study_space()
    choices = space.choices()
    assert space.num_layers == 9
    assert choices["filters_0"] == (16, 32, 64, 128, 256, 512)
    assert choices["kernel_8"] == (3, 5, 7)
    assert choices["neuron"] == ("IF", "LIF") and choices["reset"] == ("hard", "soft")
    assert space.size() == (6 * 3) ** 9 * 4
    assert "neuron" not in study_space("dnn").choices()


def test_small_space_restricts_layers_and_filters():
    space = small_space()
    assert space.num_layers < 9 and max(space.filters) <= 64
    assert set(space.filters) <= set(study_space().filters)
    fixed = space.restrict("LIF", "soft")
    assert fixed.choices()["neuron"] == ("LIF",) and fixed.choices()["reset"] == ("soft",)
    assert fixed.size() * 4 == space.size()
    assert small_space("dnn").restrict("LIF") == small_space("dnn")


def test_params_round_trip():
    arch = Architecture("snn", ((16, 3), (64, 7), (32, 5)), "IF", "hard")
    assert architecture_from_params(params_from_architecture(arch), "snn") == arch
    dnn = Architecture("dnn", ((16, 3),))
    assert architecture_from_params(params_from_architecture(dnn), "dnn") == dnn
    assert arch.condition == "IF, Hard" and dnn.condition == "DNN"
    assert arch.to_dict()["layers"] == [[16, 3], [64, 7], [32, 5]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "snn", "layers": ((16, 3),), "neuron": "HH", "reset": "soft"}, "neuron"),
        ({"model": "snn", "layers": ((16, 4),), "neuron": "IF", "reset": "soft"}, "odd"),
        ({"model": "snn", "layers": (), "neuron": "IF", "reset": "soft"}, "at least one"),
        ({"model": "dnn", "layers": ((16, 3),), "neuron": "IF"}, "ReLU"),
        ({"model": "cnn", "layers": ((16, 3),)}, "Unknown model"),
    ],
)
def test_invalid_architectures_say_why(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Architecture(**kwargs)


def test_invalid_spaces_say_why():
    with pytest.raises(ValueError, match="odd"):
        SearchSpace(kernels=(3, 4))
    with pytest.raises(ValueError, match="Pooling"):
        SearchSpace(num_layers=2, pool_after=(5,))
    with pytest.raises(ValueError, match="1 to 20"):
        SearchSpace(num_layers=0)


def test_neighbours_change_exactly_one_choice():
    space = small_space()
    choices = space.choices()
    start = {name: values[0] for name, values in choices.items()}
    moves = neighbours(start, choices)
    assert len(moves) == sum(len(v) - 1 for v in choices.values())
    for move in moves:
        assert sum(move[k] != start[k] for k in start) == 1
    assert len({tuple(sorted(m.items())) for m in moves}) == len(moves)
