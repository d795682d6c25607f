"""The three search algorithms behind one interface: an Optuna sampler built by ``make_sampler``.

- ``random``: uniform over the space (``TrialRandomSampler`` below: trial n's draw depends on
  ``(seed, n)`` alone, so a study resumed after a kill continues the sequence it would have
  drawn, instead of restarting it).
- ``greedy``: hill climbing (``GreedySampler`` below). The current candidate is the best
  evaluated one; each new candidate changes exactly one of its choices (one layer's filters or
  kernel, the neuron or the reset), and replaces it only when it scores better. Moves not yet
  evaluated are preferred; the first candidate is drawn uniformly.
- ``bayesian``: the tree-structured Parzen estimator (Optuna's ``TPESampler``; Bergstra et al.
  2011), which models the scores of all evaluated combinations; its random start-up trials
  are drawn per trial too. With two objectives (accuracy and energy) it is Optuna's
  multi-objective TPE (Ozaki et al., GECCO 2020): the good/bad split ranks trials by
  non-domination, then by their contribution to the hypervolume.
- ``nsga2`` (two objectives only): NSGA-II (Deb et al., IEEE TEVC 6(2), 2002; Optuna's
  ``NSGAIISampler``): generations of ``nsga_population`` trials, parents chosen by
  non-dominated rank and crowding distance, uniform crossover and mutation of the choices.
  Its first generation is drawn per trial as for random; its generations are stored in the
  study, so a resumed or shared study continues them.

Which algorithms a study may use depends on its objectives: ``ALGORITHMS`` for accuracy alone
(greedy climbs one score), ``MULTI_ALGORITHMS`` for accuracy and energy.

Every sampler is seeded. Workers that share a study should get different seeds (``seed +
worker``) so their random draws differ; the greedy move of trial n is drawn from
``(seed, n)`` alone, so it does not depend on which worker runs it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.samplers import BaseSampler, NSGAIISampler, RandomSampler, TPESampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from core.nas.space import neighbours

ALGORITHMS: tuple[str, ...] = ("random", "greedy", "bayesian")
#: The algorithms of a search for accuracy and energy.
MULTI_ALGORITHMS: tuple[str, ...] = ("random", "bayesian", "nsga2")
#: Every algorithm a study may name (``nas --algorithm``).
SEARCH_ALGORITHMS: tuple[str, ...] = (*ALGORITHMS, "nsga2")
ALGORITHM_TITLES = {"random": "Random", "greedy": "Greedy", "bayesian": "Bayesian",
                    "nsga2": "NSGA-II"}


class TrialRandomSampler(RandomSampler):
    """Uniform categorical draws seeded by ``(seed, trial number, parameter)``.

    Optuna's ``RandomSampler`` draws from one generator seeded when the process starts, so a
    resumed study would repeat the first trials' architectures; here trial n draws the same
    in any process.
    """

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self._trial_seed = int(seed)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if not isinstance(param_distribution, CategoricalDistribution):
            return super().sample_independent(study, trial, param_name, param_distribution)
        salt = zlib.crc32(param_name.encode())
        rng = np.random.default_rng([self._trial_seed, trial.number, salt])
        return _pick(rng, param_distribution.choices)


class GreedySampler(BaseSampler):
    """Hill climbing over a categorical space, one change per step from the current best.

    Call order (as for every Optuna sampler): per trial, ``infer_relative_search_space`` then
    ``sample_relative`` propose the whole candidate; ``sample_independent`` only serves
    parameters outside ``choices`` (drawn uniformly).
    """

    def __init__(self, choices: dict[str, Sequence[Any]], seed: int = 0) -> None:
        if not choices:
            raise ValueError("The greedy search needs at least one choice to change.")
        self._choices = {name: tuple(values) for name, values in choices.items()}
        self._independent = TrialRandomSampler(seed)  # parameters outside ``choices``
        self._seed = int(seed)

    def _rng(self, trial: FrozenTrial) -> np.random.Generator:
        return np.random.default_rng([self._seed, trial.number, 0])

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {name: CategoricalDistribution(v) for name, v in self._choices.items()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        rng = self._rng(trial)
        current = incumbent(study)
        if current is None:
            return {name: _pick(rng, values) for name, values in self._choices.items()}
        start = {name: current.params.get(name) for name in self._choices}
        moves = neighbours(start, self._choices)
        if not moves:  # a space with a single point
            return start
        others = study.get_trials(deepcopy=False)
        seen = {_key(t.params) for t in others if t.number != trial.number}
        fresh = [m for m in moves if _key(m) not in seen]
        pool = fresh or moves
        return pool[int(rng.integers(len(pool)))]

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if not isinstance(param_distribution, CategoricalDistribution):
            raise ValueError(f"The greedy search handles categorical choices only ({param_name}).")
        return self._independent.sample_independent(study, trial, param_name, param_distribution)


def incumbent(study: Study) -> FrozenTrial | None:
    """The current candidate: the best complete trial, the earliest among equals."""
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        return None
    return max(done, key=lambda t: (float(t.value or 0.0), -t.number))


def _pick(rng: np.random.Generator, values: Sequence[Any]) -> Any:
    return values[int(rng.integers(len(values)))]


def _key(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(params.items()))


def make_sampler(
    algorithm: str,
    choices: dict[str, Sequence[Any]],
    seed: int = 0,
    tpe_startup_trials: int = 10,
) -> optuna.samplers.BaseSampler:
    """The sampler of ``algorithm`` (one of ``SEARCH_ALGORITHMS``) over ``choices``, seeded.

    TPE draws ``tpe_startup_trials`` trials at random before it models; NSGA-II's generation
    is twice that (``nsga_population``).
    """
    if algorithm == "random":
        return TrialRandomSampler(seed=seed)
    if algorithm == "greedy":
        return GreedySampler(choices, seed=seed)
    if algorithm == "bayesian":
        tpe = TPESampler(seed=seed, n_startup_trials=tpe_startup_trials)
        if hasattr(tpe, "_random_sampler"):  # its start-up draws, per trial as for random
            tpe._random_sampler = TrialRandomSampler(seed=seed)
        return tpe
    if algorithm == "nsga2":
        nsga = NSGAIISampler(population_size=nsga_population(tpe_startup_trials), seed=seed)
        nsga._random_sampler = TrialRandomSampler(seed=seed)  # first generation per trial
        return nsga
    raise ValueError(f"Unknown algorithm {algorithm!r}; choose one of "
                     f"{', '.join(SEARCH_ALGORITHMS)}.")


def nsga_population(tpe_startup_trials: int) -> int:
    """NSGA-II's generation: twice TPE's start-up trials, at least 4 (a small budget on CPUs
    sees several generations; Optuna's default of 50 would spend an hour on the first)."""
    return max(4, 2 * int(tpe_startup_trials))
