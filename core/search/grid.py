"""Grid search over the thesis's four parameters with Optuna's ``GridSampler``.

The search space is hidden size, time steps, surrogate scale and spike regulariser (thesis
figures 13-26, tables 2-4), by default three values each (81 runs). Trials live in an Optuna
study on a storage URL (``core.store.studies``; default: ``sweeps.db`` next to the run
database), so:

- an interrupted search resumes where it stopped: finished grid points are never trained again;
  a point whose process was killed stays RUNNING and is trained last;
- a point stopped on request is marked failed and queued again with the same parameters;
- several processes can work on one study; a point another process already finished is reused
  (its results copied) instead of trained twice.

Each trained point is also a run in the run store (kind ``"surrogate"``). ``summarise`` gives
the mean train/test accuracy, time and spikes per value of each parameter, and the best point.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from core.checks import is_whole
from core.data import Dataset, load_dataset
from core.limits import clip
from core.progress import Progress
from core.store import RunStore
from core.store.studies import (
    SWEEPS_DB,
    WORKER_ATTR,
    existing_storage,
    fail_dead_trials,
    first_line,
    make_storage,
    mask_password,
    shown,
    study_names,
    this_worker,
)
from core.store.studies import default_storage as _default_storage
from core.training import TrainConfig, train
from core.training.inputs import PreparedData, prepare
from core.training.runs import save_report

PARAMS: tuple[str, ...] = ("hidden", "steps", "scale", "reg")
INT_PARAMS = frozenset({"hidden", "steps"})
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "hidden": (100, 200, 300),
    "steps": (50, 75, 100),
    "scale": (20.0, 80.0, 100.0),
    "reg": (1e-6, 2e-6, 1e-2),
}
RESULT_ATTRS = ("train_accuracy", "seconds", "spikes_per_sample", "run_id")


def default_storage() -> str:
    """``sqlite:///`` URL of ``sweeps.db`` in the run database's folder."""
    return _default_storage(SWEEPS_DB)


def parse_grid(items: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """``["hidden=100,200", "reg=1e-6"]`` -> grid; parameters not named keep their defaults."""
    grid = dict(DEFAULT_GRID)
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or name not in PARAMS:
            raise ValueError(f"Grid entries look like name=v1,v2 with name one of "
                             f"{', '.join(PARAMS)} (got {item!r}).")
        try:
            parsed = tuple(float(v) for v in values.split(",") if v.strip())
        except ValueError:
            raise ValueError(
                f"{name}: expected numbers separated by commas, got {values!r}."
            ) from None
        if not parsed:
            raise ValueError(f"{name}: give at least one value.")
        if name in INT_PARAMS:
            if not all(is_whole(v, 1) for v in parsed):
                raise ValueError(f"{name} takes whole numbers of at least 1 (got {values!r}).")
            parsed = tuple(int(v) for v in parsed)
        if len(set(parsed)) != len(parsed):
            raise ValueError(f"{name}: values repeat in {values!r}.")
        grid[name] = parsed
    return grid


def point_config(base: TrainConfig, params: dict[str, float]) -> TrainConfig:
    """The configuration of one grid point (validated by ``TrainConfig``)."""
    return replace(base, **{k: (int(v) if k in INT_PARAMS else float(v))
                            for k, v in params.items()})


def check_grid(base: TrainConfig, grid: dict[str, tuple[float, ...]]) -> None:
    """``ValueError`` naming the first grid value that makes an impossible configuration."""
    for name, values in grid.items():
        for value in values:
            point_config(base, {name: value})


@dataclass(frozen=True)
class PointResult:
    """One finished grid point."""

    trial: int
    params: dict[str, float]
    test_accuracy: float
    train_accuracy: float
    seconds: float
    spikes_per_sample: float
    run_id: int | None


@dataclass(frozen=True)
class ValueSummary:
    """Means over the finished points that share one value of one parameter."""

    param: str
    value: float
    count: int
    mean_train_accuracy: float
    mean_test_accuracy: float
    mean_seconds: float
    mean_spikes_per_sample: float = 0.0  # hidden spikes per test sample


@dataclass(frozen=True)
class SweepSummary:
    """Everything a page or the command line shows about a study."""

    study: str
    grid: dict[str, tuple[float, ...]]
    points: list[PointResult]
    per_value: list[ValueSummary]
    best: PointResult | None
    total: int
    running: int = 0
    failed: int = 0
    done: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "done", len({_key(p.params) for p in self.points}))


SweepProgress = Callable[[str, Progress | None], None]


class _AskTellGridSampler(optuna.samplers.GridSampler):
    """``GridSampler`` for ask-and-tell: the loop below checks ``is_exhausted`` itself, so the
    sampler must not call ``study.stop()`` (allowed only inside ``study.optimize``)."""

    def after_trial(self, study, trial, state, values) -> None:  # type: ignore[override]
        return None


def open_study(study: str, storage: str | None, grid: dict[str, tuple[float, ...]]):
    """Create or load the study; a grid differing from the stored one is refused."""
    url = storage or default_storage()
    db = make_storage(url)
    try:
        st = optuna.create_study(
            study_name=study, storage=db, direction="maximize", load_if_exists=True,
            sampler=_AskTellGridSampler({k: list(v) for k, v in grid.items()}),
        )
    except Exception as exc:  # storage drivers raise many kinds of errors; all mean the same
        msg = (f"Cannot open the study {clip(study)!r} at {shown(url)} "
               f"({clip(mask_password(first_line(exc)))}).")
        raise ValueError(msg) from exc
    stored = st.user_attrs.get("grid")
    as_lists = {k: list(v) for k, v in grid.items()}
    if stored is None:
        st.set_user_attr("grid", as_lists)
    elif stored != as_lists:
        raise ValueError(f"Study {study!r} was created with the grid {stored}; use that grid "
                         "or another study name.")
    return st


def run_sweep(
    base: TrainConfig,
    grid: dict[str, tuple[float, ...]],
    study: str,
    storage: str | None = None,
    store: RunStore | None = None,
    dataset: Dataset | None = None,
    data_path: str | None = None,
    progress: SweepProgress | None = None,
    stop: threading.Event | None = None,
    max_trials: int | None = None,
) -> SweepSummary:
    """Train the grid's unfinished points (at most ``max_trials``) and summarise the study.

    Every value of the grid is checked before the storage is touched, so a bad value
    leaves no study and no trial behind.
    """
    check_grid(base, grid)
    st = open_study(study, storage, grid)
    requeue_dead_points(st, grid)  # a point whose sweep was killed is no RUNNING ghost
    sampler: optuna.samplers.GridSampler = st.sampler  # type: ignore[assignment]
    cache: dict[object, Any] = {}
    if dataset is not None:
        cache["dataset"] = dataset
    trained = 0
    while not (stop is not None and stop.is_set()):
        if max_trials is not None and trained >= max_trials:
            break
        waiting = st.get_trials(deepcopy=False, states=(TrialState.WAITING,))
        if not waiting and (sampler.is_exhausted(st) or not _points_left(st, grid)):
            break
        trial = st.ask()
        trial.set_user_attr(WORKER_ATTR, this_worker())
        params = {name: trial.suggest_categorical(name, list(grid[name])) for name in PARAMS}
        point = f"point {trial.number + 1}: " + ", ".join(f"{k} {v:g}" for k, v in params.items())
        _report(progress, point, None)
        reused = _finished_twin(st, params, trial.number)
        if reused is not None:
            for key in RESULT_ATTRS:
                trial.set_user_attr(key, reused.user_attrs.get(key))
            trial.set_user_attr("reused_from", reused.number)
            st.tell(trial, reused.value)
            continue
        config = point_config(base, params)
        points = _data_for(config, data_path, cache)
        report = train(config, data=points, progress=lambda p, m=point: _report(progress, m, p),
                       stop=stop)
        if report.stopped:  # asked to stop: queue the point again, do not count it as done
            st.tell(trial, state=TrialState.FAIL)
            st.enqueue_trial(params)
            break
        if store is not None:
            report = save_report(store, report, name=f"{study}#{trial.number}")
        for key in RESULT_ATTRS:
            trial.set_user_attr(key, getattr(report, key))
        st.tell(trial, report.test_accuracy)
        trained += 1
    return summarise(st, grid)


def _grid_points(grid: dict[str, tuple[float, ...]]) -> list[dict[str, float]]:
    return [dict(zip(PARAMS, values, strict=True))
            for values in itertools.product(*(grid[name] for name in PARAMS))]


def _points_left(st: optuna.Study, grid: dict[str, tuple[float, ...]]) -> int:
    """Grid points without a COMPLETE trial (a requeued point carries no grid id, so the
    sampler alone would hand out a point already trained)."""
    done = {_key(t.params) for t in st.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))}
    return sum(_key(point) not in done for point in _grid_points(grid))


def requeue_dead_points(st: optuna.Study, grid: dict[str, tuple[float, ...]]) -> None:
    """Mark FAIL the trials whose process died (kill -9) and queue again every point that no
    trial holds: the grid sampler counts a failed point as visited, so it would never hand
    that point out again (a trial killed before it drew its point names none)."""
    if not fail_dead_trials(st):
        return
    held = {_key(t.params or t.system_attrs.get("fixed_params", {})) for t in st.get_trials(
        deepcopy=False, states=(TrialState.COMPLETE, TrialState.WAITING, TrialState.RUNNING))}
    for point in _grid_points(grid):
        if _key(point) not in held:
            st.enqueue_trial(point)


def _data_for(config: TrainConfig, data_path: str | None, cache: dict) -> PreparedData:
    """The data set loaded once, prepared once per number of steps (images: once)."""
    if "dataset" not in cache:
        cache["dataset"] = load_dataset(config.dataset, data_path)
    dataset: Dataset = cache["dataset"]
    key = 0 if dataset.kind == "image" else config.steps
    if key not in cache:
        cache[key] = prepare(dataset, config)
    return cache[key]


def _report(progress: SweepProgress | None, message: str, p: Progress | None) -> None:
    if progress is not None:
        progress(message, p)


def _key(params: dict[str, Any]) -> tuple:
    return tuple(float(params[k]) for k in PARAMS if k in params)


def _finished_twin(st, params: dict[str, Any], number: int) -> FrozenTrial | None:
    for t in st.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if t.number != number and _key(t.params) == _key(params):
            return t
    return None


def summarise(st, grid: dict[str, tuple[float, ...]]) -> SweepSummary:
    """Finished points (one per grid point), means per parameter value, and the best point."""
    trials = st.get_trials(deepcopy=False)
    points: dict[tuple, PointResult] = {}
    for t in trials:
        if t.state != TrialState.COMPLETE or _key(t.params) in points:
            continue
        a = t.user_attrs
        points[_key(t.params)] = PointResult(
            trial=t.number, params={k: t.params[k] for k in PARAMS if k in t.params},
            test_accuracy=float(t.value or 0.0),
            train_accuracy=float(a.get("train_accuracy") or 0.0),
            seconds=float(a.get("seconds") or 0.0),
            spikes_per_sample=float(a.get("spikes_per_sample") or 0.0),
            run_id=a.get("run_id"),
        )
    done = list(points.values())
    per_value = []
    for name in PARAMS:
        for value in grid[name]:
            sel = [p for p in done if float(p.params.get(name, float("nan"))) == float(value)]
            if sel:
                n = len(sel)
                per_value.append(ValueSummary(
                    name, value, n, sum(p.train_accuracy for p in sel) / n,
                    sum(p.test_accuracy for p in sel) / n, sum(p.seconds for p in sel) / n,
                    sum(p.spikes_per_sample for p in sel) / n,
                ))
    total = 1
    for values in grid.values():
        total *= len(values)
    return SweepSummary(
        study=st.study_name, grid=grid, points=done, per_value=per_value,
        best=max(done, key=lambda p: p.test_accuracy, default=None), total=total,
        running=sum(t.state == TrialState.RUNNING for t in trials),
        failed=sum(t.state == TrialState.FAIL for t in trials),
    )


def load_summary(study: str, storage: str | None = None) -> SweepSummary:
    """Summary of an existing study, read from its stored grid (nothing is created)."""
    url = storage or default_storage()
    db = existing_storage(url)
    if db is None:
        raise ValueError(f"There is no study {clip(study)!r} at {shown(url)}.")
    try:
        st = optuna.load_study(study_name=study, storage=db)
    except KeyError as exc:
        raise ValueError(f"There is no study {clip(study)!r} at {shown(url)}.") from exc
    except Exception as exc:  # a corrupt file, a schema from another Optuna
        reason = clip(mask_password(first_line(exc)))
        raise ValueError(f"Cannot read the studies at {shown(url)} ({reason}).") from exc
    grid = {k: tuple(v) for k, v in st.user_attrs.get("grid", {}).items()}
    if set(grid) != set(PARAMS):
        raise ValueError(f"Study {clip(study)!r} is not a grid search of {', '.join(PARAMS)}.")
    return summarise(st, grid)


def list_studies(storage: str | None = None) -> list[str]:
    """Names of the studies stored at ``storage`` (none when its SQLite file is not there:
    listing creates nothing)."""
    db = existing_storage(storage or default_storage())
    return [] if db is None else study_names(db)
