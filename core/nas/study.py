"""Running a search on an Optuna study named by a storage URL, alone or as one of many workers.

The storage is an Optuna RDB URL (``core.store.studies``): a local SQLite file (default:
``nas.db`` beside the run database) or a PostgreSQL server (``postgresql://user@host/db``) that
any number of machines share; a plain file path means a SQLite file. The search's settings
(``SearchSpec``) are stored in the study, so ``nas-worker`` joins a study by name alone.
Workers send a heartbeat; a trial whose worker died (no heartbeat for three intervals) is marked
failed by the next worker, which retries its architecture once, so an interrupted study resumes
where it stood.

With ``objectives=("accuracy", "energy")`` the study has two directions (maximise validation
accuracy, minimise energy per frame; ``core.nas.objectives``): each trial is priced from its
own measured spikes on the validation set by the study's hardware model, and records the
energy, latency, synaptic operations and breakdown beside its accuracy.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import optuna
from optuna.storages import RDBStorage
from optuna.trial import TrialState

from core.checks import in_range, is_whole
from core.fit import PreparedData, StopSignal, stop_requested
from core.nas.algorithms import ALGORITHMS, MULTI_ALGORITHMS, make_sampler
from core.nas.objectives import (
    DEFAULT_HARDWARE,
    SINGLE,
    TrialRun,
    check_objectives,
    energy_attrs,
    price_run,
)
from core.nas.space import (
    MODELS,
    NEURONS,
    RESETS,
    STUDY_NEURONS,
    Architecture,
    SearchSpace,
)
from core.nas.trainer import PRESETS, TrainPreset, TrialOutcome, train_architecture
from core.progress import ProgressFn
from core.store import studies

SPEC_ATTR = "spikelab_spec"
SEED_ATTR = "spikelab_seed"  # the seed of the process that created the study
HEARTBEAT_S = 10.0  # seconds between a worker's heartbeats
MAX_STORED_PARAMETERS = 5_000_000  # larger networks are stored without their weights
#: One worker's budget at most: 10,000 trials, or a week of wall-clock time (a study resumes
#: where it stood, so a longer search is several runs).
MAX_TRIALS = 10_000
MAX_MINUTES = 7 * 24 * 60
TrialCallback = Callable[[optuna.trial.FrozenTrial], None]


@dataclass(frozen=True)
class SearchSpec:
    """What a study searches: algorithm, data, model, fixed neuron/reset, preset, objectives.

    ``neurons`` are the searched neuron choices when no neuron is fixed; ``None`` means the
    study's (IF, LIF), and giving exactly those is stored as ``None`` too. ``objectives`` is
    ``("accuracy",)`` or ``("accuracy", "energy")``; ``hardware`` prices the energy (``ops``
    when not given) and is ``None`` for a single-objective search.
    """

    algorithm: str
    dataset: str = "digits"
    model: str = "snn"
    neuron: str | None = None
    reset: str | None = None
    preset: str = "small"
    neurons: tuple[str, ...] | None = None
    objectives: tuple[str, ...] = SINGLE
    hardware: str | None = None

    def __post_init__(self) -> None:
        objectives = tuple(self.objectives)
        object.__setattr__(self, "objectives", objectives)
        if objectives != SINGLE and self.hardware is None:
            object.__setattr__(self, "hardware", DEFAULT_HARDWARE)
        check_objectives(objectives, self.hardware)
        allowed = ALGORITHMS if objectives == SINGLE else MULTI_ALGORITHMS
        if self.algorithm not in allowed:
            why = {"greedy": " (greedy climbs one score: it does not search two objectives)",
                   "nsga2": " (NSGA-II searches two: give objectives accuracy,energy)"}
            what = "Algorithm" if self.algorithm in why else "Unknown algorithm"
            raise ValueError(f"{what} {self.algorithm!r} does not search objectives "
                             f"{','.join(objectives)}; choose one of {', '.join(allowed)}"
                             f"{why.get(self.algorithm, '')}.")
        if self.model not in MODELS:
            raise ValueError(f"Unknown model {self.model!r}; choose one of {MODELS}.")
        if self.preset not in PRESETS:
            raise ValueError(f"Unknown preset {self.preset!r}; choose one of {tuple(PRESETS)}.")
        if self.neuron is not None and self.neuron not in NEURONS:
            raise ValueError(f"Unknown neuron {self.neuron!r}; choose one of {NEURONS}.")
        if self.reset is not None and self.reset not in RESETS:
            raise ValueError(f"Unknown reset {self.reset!r}; choose one of {RESETS}.")
        if self.neurons is not None:
            neurons = tuple(self.neurons)
            if not neurons or any(n not in NEURONS for n in neurons):
                raise ValueError(f"Searched neurons must be chosen from {NEURONS}, "
                                 f"got {self.neurons!r}.")
            object.__setattr__(self, "neurons", None if neurons == STUDY_NEURONS else neurons)
        if self.model == "dnn" and (self.neuron or self.reset or self.neurons):
            raise ValueError("The DNN baseline uses ReLU: leave the neuron and reset unset.")

    @property
    def multi(self) -> bool:
        """Whether the study searches accuracy and energy (two directions)."""
        return self.objectives != SINGLE

    @property
    def train_preset(self) -> TrainPreset:
        return PRESETS[self.preset]

    def space(self) -> SearchSpace:
        return self.train_preset.space(self.model).restrict(self.neuron, self.reset, self.neurons)

    @property
    def default_name(self) -> str:
        """A study name from the settings, e.g. ``digits-snn-greedy-small-LIF``."""
        searched = "+".join(self.neurons) if self.neurons and not self.neuron else None
        parts = [self.dataset, self.model, self.algorithm, self.preset, self.neuron, searched,
                 self.reset, f"energy-{self.hardware}" if self.multi else None]
        return "-".join(str(p) for p in parts if p)

    def to_attrs(self) -> dict[str, Any]:
        """The settings as the study stores them (``neurons`` only when not the study's;
        ``objectives`` and ``hardware`` only for a multi-objective search)."""
        attrs = asdict(self)
        if self.neurons is None:
            del attrs["neurons"]
        if not self.multi:
            del attrs["objectives"], attrs["hardware"]
        else:
            attrs["objectives"] = list(self.objectives)
        return attrs

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> SearchSpec:
        fields = {k: attrs.get(k) for k in ("algorithm", "dataset", "model", "neuron",
                                            "reset", "preset", "neurons", "hardware")}
        return cls(**fields, objectives=tuple(attrs.get("objectives") or SINGLE))


@dataclass(frozen=True)
class Budget:
    """How much this worker searches: a number of trials, minutes of wall-clock time, or both."""

    trials: int | None = None
    minutes: float | None = None

    def __post_init__(self) -> None:
        if self.trials is None and self.minutes is None:
            raise ValueError("Give a budget: a number of trials or minutes.")
        if self.trials is not None and not is_whole(self.trials, 1, MAX_TRIALS):
            raise ValueError(f"The number of trials must be a whole number, at least 1 and at "
                             f"most {MAX_TRIALS:,}, got {self.trials}.")
        if self.minutes is not None and not in_range(self.minutes, 0, MAX_MINUTES, low_open=True):
            raise ValueError(f"The time budget must be more than 0 and at most {MAX_MINUTES:,} "
                             f"minutes (a week), got {self.minutes}.")


def make_storage(url: str, heartbeat_s: float = HEARTBEAT_S) -> RDBStorage:
    """The study storage at ``url`` (``core.store.studies``), with workers' heartbeats on."""
    return studies.make_storage(url, heartbeat_s)


def open_study(
    storage: RDBStorage, name: str, spec: SearchSpec | None = None, seed: int = 0
) -> tuple[optuna.Study, SearchSpec]:
    """Create or continue the study ``name``; without ``spec`` it must exist already."""
    if not name.strip():
        raise ValueError("Give the study a name.")
    if spec is None:
        try:
            study = optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            raise ValueError(f"There is no study named {name!r} in this storage.") from None
        if SPEC_ATTR not in study.user_attrs:
            raise ValueError(f"Study {name!r} was not made by SpikeLab's NAS.")
        spec = SearchSpec.from_attrs(study.user_attrs[SPEC_ATTR])
    else:
        directions = ["maximize", "minimize"] if spec.multi else ["maximize"]
        study = optuna.create_study(
            study_name=name, storage=storage, directions=directions, load_if_exists=True
        )
        stored = study.user_attrs.get(SPEC_ATTR)
        if stored is None:
            study.set_user_attr(SPEC_ATTR, spec.to_attrs())
            study.set_user_attr(SEED_ATTR, int(seed))
        elif SearchSpec.from_attrs(stored) != spec:
            raise ValueError(
                f"Study {name!r} searches {_describe(SearchSpec.from_attrs(stored))}, not "
                f"{_describe(spec)}; use another study name or the study's own settings."
            )
    study.sampler = make_sampler(
        spec.algorithm, spec.space().choices(), seed, spec.train_preset.tpe_startup_trials
    )
    return study, spec


def _describe(spec: SearchSpec) -> str:
    searched = "/".join(spec.neurons) if spec.neurons and not spec.neuron else None
    fixed = ", ".join(v for v in (spec.neuron, searched, spec.reset) if v)
    energy = f" / accuracy and energy ({spec.hardware})" if spec.multi else ""
    return (f"{spec.algorithm} / {spec.model} / {spec.dataset} / preset {spec.preset}"
            + (f" / {fixed}" if fixed else "") + energy)


def suggest_architecture(trial: optuna.Trial, space: SearchSpace) -> Architecture:
    """Ask the trial for every choice of ``space`` and build the architecture."""
    params = {name: trial.suggest_categorical(name, values)
              for name, values in space.choices().items()}
    layers = tuple((params[f"filters_{i}"], params[f"kernel_{i}"])
                   for i in range(space.num_layers))
    if space.model == "dnn":
        return Architecture("dnn", layers)
    return Architecture("snn", layers, params["neuron"], params["reset"])


def run_search(
    study: optuna.Study,
    spec: SearchSpec,
    budget: Budget,
    data: PreparedData,
    store: Any | None = None,
    stop: StopSignal | None = None,
    on_trial: TrialCallback | None = None,
    progress: ProgressFn | None = None,
) -> bool:
    """Run trials until the budget is spent; return False when stopped by ``stop``.

    ``store`` (a ``core.store.RunStore``) gets every finished trial as a run of kind "nas".
    A trial still training when ``stop`` is set is abandoned (it fails in the study);
    ``progress`` follows the batches of the trial in training.
    """
    space, preset = spec.space(), spec.train_preset
    worker = f"{socket.gethostname()}:{os.getpid()}"
    studies.fail_dead_trials(study)  # a trial whose process was killed is no RUNNING ghost

    def objective(trial: optuna.Trial) -> float | tuple[float, float]:
        trial.set_user_attr("worker", worker)  # first: a rerun fails it if this process dies
        arch = suggest_architecture(trial, space)
        twin = completed_twin(study, trial.params, trial.number)
        if twin is not None:  # never train an architecture the study already evaluated
            values = _reuse(trial, twin, worker)
            return values if spec.multi else values[0]
        trial.set_user_attr("architecture", arch.to_dict())
        trial.set_user_attr("algorithm", spec.algorithm)
        outcome = train_architecture(
            arch, data, preset, space.pool_after, seed=trial.number, stop=stop,
            progress=progress,
        )
        if outcome is None:
            raise _Abandoned("The search was stopped.")
        values = _record(trial, study, spec, arch, data, outcome, store)
        return values if spec.multi else values[0]

    def after_trial(st: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        if on_trial is not None:
            on_trial(frozen)
        if stop_requested(stop):
            st.stop()

    try:
        study.optimize(
            objective,
            n_trials=budget.trials,
            timeout=None if budget.minutes is None else budget.minutes * 60.0,
            callbacks=[after_trial],
        )
    except _Abandoned:
        return False
    return not stop_requested(stop)


def completed_twin(study: optuna.Study, params: dict[str, Any],
                   number: int) -> optuna.trial.FrozenTrial | None:
    """The study's earliest complete trial with these parameters (other than ``number``)."""
    for done in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if done.number != number and done.params == params:
            return done
    return None


def _reuse(trial: optuna.Trial, twin: optuna.trial.FrozenTrial,
           worker: str) -> tuple[float, ...]:
    """Give ``trial`` the results of its twin, untrained; its values are the twin's."""
    for key, value in twin.user_attrs.items():
        trial.set_user_attr(key, value)
    trial.set_user_attr("worker", worker)
    trial.set_user_attr("reused_from", twin.number)
    return tuple(float(v) for v in (twin.values or (0.0,)))


class _Abandoned(Exception):
    """Raised out of a stopped trial: Optuna marks the trial failed and ends the search."""


def _record(trial: optuna.Trial, study: optuna.Study, spec: SearchSpec, arch: Architecture,
            data: PreparedData, outcome: TrialOutcome, store: Any | None) -> tuple[float, ...]:
    """Record a trained trial (metrics, energy when searched, its run); return its values.

    The energy is priced from what the trial's run stores, as ``energy --run`` prices it."""
    config = trial_config(study.study_name, spec, trial.number, arch, data)
    metrics = _trial_metrics(outcome)
    if spec.multi:
        hardware = str(spec.hardware)
        metrics.update(energy_attrs(price_run(TrialRun(None, config, metrics), hardware),
                                    hardware))
    for key, value in metrics.items():
        trial.set_user_attr(key, value)
    if store is not None:
        trial.set_user_attr("run_id", _save_trial(store, study, trial, config, outcome, metrics))
    if spec.multi:
        return outcome.val_accuracy, float(metrics["energy_j"])
    return (outcome.val_accuracy,)


def _trial_metrics(outcome: TrialOutcome) -> dict[str, Any]:
    """What a finished trial records in the study (user attributes) and the run store."""
    return {
        "val_accuracy": outcome.val_accuracy,
        "train_accuracy": outcome.train_accuracy,
        "spikes": outcome.spikes_per_sample,
        "spikes_per_layer": outcome.spikes_per_layer,
        "parameters": outcome.parameters,
        "seconds": outcome.seconds,
    }


def trial_config(study: str, spec: SearchSpec, number: int, arch: Architecture,
                 data: PreparedData) -> dict[str, Any]:
    """The configuration a trial's run stores: settings, architecture, shapes, time steps."""
    return {
        **spec.to_attrs(),
        "study": study,
        "trial": number,
        "architecture": arch.to_dict(),
        "pool_after": list(spec.space().pool_after),
        "neuron_config": asdict(spec.train_preset.neuron),
        "time_steps": spec.train_preset.neuron.time_steps if arch.model == "snn" else 1,
        "in_channels": data.channels,
        "input_shape": list(data.x_train.shape[1:]),
        "num_classes": data.num_classes,
        "pooling": "2x2 max after the layers in pool_after; head: 2x2 average, linear",
    }


def _save_trial(store: Any, study: optuna.Study, trial: optuna.Trial, config: dict[str, Any],
                outcome: TrialOutcome, metrics: dict[str, Any]) -> int:
    return int(store.save_run(
        "nas", config, history=outcome.history,
        metrics={**metrics, "spikes_per_sample": outcome.spikes_per_sample},
        weights=outcome.weights if outcome.parameters <= MAX_STORED_PARAMETERS else None,
        name=f"{study.study_name} #{trial.number}",
    ))
