"""One contract for the three search algorithms, and the greedy hill climb's own rules.

The objective here is synthetic (no training): each choice adds its index, so the best
architecture is the last value of every choice and one change at a time can always climb.
"""

from __future__ import annotations

import optuna
import pytest
from optuna.samplers import RandomSampler, TPESampler

from core.nas.algorithms import ALGORITHMS, GreedySampler, incumbent, make_sampler
from core.nas.space import neighbours

CHOICES = {"neuron": ("IF", "LIF"), "reset": ("hard", "soft"),
           "filters_0": (16, 32, 64), "kernel_0": (3, 5, 7), "filters_1": (16, 32, 64)}
BEST = {name: values[-1] for name, values in CHOICES.items()}

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _score(params: dict) -> float:
    return float(sum(CHOICES[name].index(value) for name, value in params.items()))


def _search(algorithm: str, seed: int, trials: int) -> optuna.Study:
    study = optuna.create_study(
        direction="maximize", sampler=make_sampler(algorithm, CHOICES, seed, 5)
    )

    def objective(trial: optuna.Trial) -> float:
        return _score({n: trial.suggest_categorical(n, v) for n, v in CHOICES.items()})

    study.optimize(objective, n_trials=trials)
    return study


@pytest.fixture(params=ALGORITHMS)
def algorithm(request) -> str:
    return request.param


def test_every_algorithm_proposes_valid_seeded_candidates(algorithm):
    first = _search(algorithm, seed=1, trials=12)
    again = _search(algorithm, seed=1, trials=12)
    other = _search(algorithm, seed=2, trials=12)
    params = [t.params for t in first.trials]
    assert all(p[n] in CHOICES[n] for p in params for n in CHOICES)
    assert params == [t.params for t in again.trials]
    assert params != [t.params for t in other.trials]
    assert first.best_value <= _score(BEST)


def test_samplers_are_the_named_ones():
    assert isinstance(make_sampler("random", CHOICES), RandomSampler)
    assert isinstance(make_sampler("bayesian", CHOICES), TPESampler)
    assert isinstance(make_sampler("greedy", CHOICES), GreedySampler)
    with pytest.raises(ValueError, match="Unknown algorithm"):
        make_sampler("evolution", CHOICES)


def test_greedy_changes_one_choice_of_the_current_best():
    study = _search("greedy", seed=0, trials=30)
    trials = study.trials
    seen: set[tuple] = set()
    repeats = 0
    for k, trial in enumerate(trials):
        key = tuple(sorted(trial.params.items()))
        if k > 0:
            done = trials[:k]
            current = max(done, key=lambda t: (t.value, -t.number))  # replaced only when better
            changed = [n for n in CHOICES if trial.params[n] != current.params[n]]
            assert len(changed) == 1
            moves = {tuple(sorted(m.items())) for m in neighbours(current.params, CHOICES)}
            if moves - seen:  # unevaluated moves are tried first
                assert key not in seen
            else:
                repeats += 1
        seen.add(key)
    assert study.best_params == BEST and repeats > 0  # converged, then only repeats remain


def test_greedy_climbs_to_the_top_of_an_additive_score():
    study = _search("greedy", seed=0, trials=60)
    assert study.best_params == BEST
    values = [t.value for t in study.trials]
    best_so_far = [max(values[: i + 1]) for i in range(len(values))]
    assert best_so_far[-1] == _score(BEST) and best_so_far[0] < _score(BEST)


def test_incumbent_keeps_the_earliest_of_equal_scores():
    study = optuna.create_study(direction="maximize")
    for value in (0.5, 0.9, 0.9, 0.1):
        study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=value))
    assert incumbent(study).number == 1
    assert incumbent(optuna.create_study()) is None


def test_greedy_serves_parameters_outside_its_space():
    sampler = GreedySampler({"neuron": ("IF", "LIF")}, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    trial = study.ask()
    assert trial.suggest_categorical("extra", ("a", "b")) in ("a", "b")
    with pytest.raises(ValueError, match="categorical"):
        trial.suggest_float("lr", 0.1, 1.0)
    with pytest.raises(ValueError, match="at least one"):
        GreedySampler({})
