"""Full-scale retraining of a study's best architectures (``python -m core nas-retrain``).

A search ranks architectures on a proxy (a subset, few epochs, maybe pooled images); this
trains the best K of them by proxy accuracy (complete trials, the study's objective, one trial
per distinct architecture), or one trial by number, on the whole training set at full
resolution with the preset's ``retrain_*`` recipe (``core.nas.trainer``): Adam, linear warm-up
then cosine decay, the training set split train:val = 8:2 with a fixed seed, the weights of
the best validation epoch kept and measured once on the official test set.

Each architecture becomes a run of kind ``"nas"`` (``stage: "retrain"`` in its config, with the
keys ``core.hardware.runs`` prices: architecture, pool_after, time_steps, dataset...). After
every epoch a checkpoint (model, Adam, schedule, shuffling generator, best weights) is written
to ``nas-retrain/<key>.pt`` beside the run database; a stop (a signal, at the next batch) drops
only the unfinished epoch, and the same request resumes from the checkpoint and skips the
architectures whose run is already stored.

The result (JSON, stable keys)::

    {"study", "storage" (password masked), "dataset", "preset", "stopped": bool,
     "recipe": {"epochs", "lr", "batch_size", "warmup_epochs", "seed", "max_train_samples",
                "time_steps", "train_samples", "val_samples", "test_samples"},
     "architectures": [{"trial", "label", "model", "neuron", "reset", "layers", "parameters",
                        "proxy_accuracy", "val_accuracy", "test_accuracy", "best_epoch",
                        "spikes_per_layer" (per test image; None for the DNN), "spikes",
                        "seconds", "epochs", "run_id", "skipped" (already done)}]}

Architectures not finished when stopped are left out of ``architectures``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import optuna
import torch

from core.data.base import DataUnavailable
from core.data.registry import DATASET_INFO, load_dataset
from core.fit import PreparedData, StopSignal
from core.nas.retrain_loop import Trained, train_full
from core.nas.space import Architecture, is_whole
from core.nas.study import SearchSpec, open_study
from core.nas.summary import TrialRecord, study_records
from core.nas.trainer import PRESETS, TrainPreset, image_tensor, split_training
from core.progress import Count, ProgressFn
from core.store import RunStore
from core.store.studies import check_storage, existing_storage, shown

STAGE = "retrain"
CHECKPOINTS = "nas-retrain"  # the folder beside the run database
MessageFn = Any  # Callable[[str], None]


@dataclass(frozen=True)
class RetrainRequest:
    """What to retrain: a study in a storage, its best ``top`` or its trial ``trial``, on which
    data set, with which recipe (``None``: the preset's ``retrain_*``; the preset defaults to
    the study's). ``max_train_samples`` cuts the training set (tests, quick looks)."""

    storage: str
    study: str
    dataset: str
    top: int | None = None
    trial: int | None = None
    preset: str | None = None
    epochs: int | None = None
    lr: float | None = None
    batch_size: int | None = None
    seed: int = 0
    max_train_samples: int | None = None
    data_path: str | None = None
    download: bool = True

    def __post_init__(self) -> None:
        if self.top is not None and self.trial is not None:
            raise ValueError("Give either the number of best architectures (top) or a trial "
                             "number, not both.")
        if self.top is not None and not is_whole(self.top, 1, 1000):
            raise ValueError(f"top must be a whole number from 1 to 1000, got {self.top}.")
        if self.trial is not None and not is_whole(self.trial, 0, 10**9):
            raise ValueError(f"A trial number is a whole number >= 0, got {self.trial}.")
        info = DATASET_INFO.get(self.dataset)
        if info is None:
            images = ", ".join(n for n, i in DATASET_INFO.items() if i.kind == "image")
            raise ValueError(f"Unknown data set {self.dataset!r}; image data sets: {images}.")
        if info.kind != "image":
            raise ValueError(f"{info.title} holds {info.kind} data; the NAS networks are conv "
                             "nets that need an image data set.")
        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"Unknown preset {self.preset!r}; choose one of {tuple(PRESETS)}.")
        if not self.study.strip():
            raise ValueError("Give the study's name.")
        self.recipe(PRESETS[self.preset or "small"])  # the numbers are checked here too

    def recipe(self, base: TrainPreset) -> TrainPreset:
        """``base`` with its ``retrain_*`` fields (or this request's) as the training recipe,
        on the whole (or cut) training set at full resolution."""
        epochs = self.epochs if self.epochs is not None else base.retrain_epochs
        if not is_whole(epochs, 1, 1000):
            raise ValueError(f"epochs must be a whole number from 1 to 1000, got {epochs}.")
        return replace(
            base, epochs=epochs, lr=self.lr if self.lr is not None else base.retrain_lr,
            batch_size=self.batch_size or base.retrain_batch_size,
            warmup_epochs=min(base.retrain_warmup_epochs, epochs - 1),
            max_train_samples=self.max_train_samples, input_pool=1,
        )


@dataclass(frozen=True)
class Candidate:
    """One architecture to retrain: its trial, row label and proxy accuracy."""

    trial: int
    label: str
    architecture: Architecture
    proxy_accuracy: float


@dataclass(frozen=True, eq=False)
class Plan:
    """A checked request: the opened study, its settings, the recipe and the candidates."""

    request: RetrainRequest
    url: str
    study: optuna.Study
    spec: SearchSpec
    recipe: TrainPreset
    candidates: tuple[Candidate, ...]


def plan(request: RetrainRequest) -> Plan:
    """Check the request against its storage and study; creates nothing (ValueError)."""
    url = check_storage(request.storage)
    storage = existing_storage(url)
    if storage is None:
        raise ValueError(f"No study storage at {shown(url)}: search first (python -m core nas).")
    study, spec = open_study(storage, request.study)
    recipe = request.recipe(PRESETS[request.preset or spec.preset])
    candidates = choose(study_records(study), request.top, request.trial, request.study)
    return Plan(request, url, study, spec, recipe, tuple(candidates))


def choose(records: list[TrialRecord], top: int | None, trial: int | None,
           study: str) -> list[Candidate]:
    """Trial ``trial``, or the ``top`` best distinct architectures by proxy accuracy."""
    if trial is not None:
        match = [r for r in records if r.number == trial]
        if not match:
            raise ValueError(f"Study {study!r} has no trial {trial} (it has {len(records)} "
                             f"trials, numbered from 0).")
        if not match[0].complete or match[0].architecture is None:
            raise ValueError(f"Trial {trial} of study {study!r} did not complete "
                             f"({match[0].state.lower()}); pick a complete trial.")
        return [_candidate(match[0])]
    done = sorted((r for r in records if r.complete and r.architecture is not None),
                  key=lambda r: (-(r.val_accuracy or 0.0), r.number))
    if not done:
        raise ValueError(f"Study {study!r} has no complete trial yet: nothing to retrain.")
    chosen: dict[Architecture, TrialRecord] = {}
    for record in done:
        chosen.setdefault(record.architecture, record)  # type: ignore[arg-type]
    return [_candidate(r) for r in list(chosen.values())[: top or 1]]


def _candidate(record: TrialRecord) -> Candidate:
    return Candidate(record.number, record.label, record.architecture,  # type: ignore[arg-type]
                     float(record.val_accuracy or 0.0))


@dataclass(frozen=True, eq=False)
class FullData:
    """The training set split train:val (``train.x_test`` is validation) and the test set."""

    train: PreparedData
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_full(plan: Plan) -> FullData:
    """The request's data at full resolution (``DataUnavailable`` becomes ``ValueError``)."""
    request = plan.request
    try:
        data = load_dataset(request.dataset, request.data_path, download=request.download)
    except DataUnavailable as exc:
        raise ValueError(str(exc)) from exc
    x_test = torch.as_tensor(image_tensor(data.x_test), dtype=torch.float32)
    return FullData(split_training(data, plan.recipe), x_test,
                    torch.as_tensor(data.y_test, dtype=torch.long))


def run_key(plan: Plan, candidate: Candidate) -> str:
    """What makes two retrainings the same: storage, study, trial, data and recipe."""
    r, recipe = plan.request, plan.recipe
    parts = [shown(plan.url), r.study, candidate.trial, r.dataset, recipe.epochs, recipe.lr,
             recipe.batch_size, recipe.warmup_epochs, r.seed, r.max_train_samples,
             asdict(recipe.neuron), list(plan.spec.space().pool_after)]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def checkpoint_path(store: RunStore, key: str) -> Path:
    return Path(store.path).parent / CHECKPOINTS / f"{key}.pt"


def find_done(store: RunStore, key: str) -> Any | None:
    """The stored run of this retraining, if it finished before."""
    for run in store.list_runs("nas"):
        if run.config.get("stage") == STAGE and run.config.get("retrain_key") == key:
            return run
    return None


def retrain(plan: Plan, store: RunStore, stop: StopSignal | None = None,
            progress: ProgressFn | None = None, say: MessageFn | None = None,
            data: FullData | None = None) -> dict[str, Any]:
    """Retrain the plan's candidates in order (skipping those done); the JSON result.

    The data are loaded only when a candidate needs training: repeating a finished request
    answers from the stored runs, with or without the data at hand."""
    say = say or (lambda _text: None)
    rows: list[dict[str, Any]] = []
    done_runs: list[Any] = []
    for i, cand in enumerate(plan.candidates, start=1):
        key = run_key(plan, cand)
        run = find_done(store, key)
        head = f"architecture {i}/{len(plan.candidates)}: trial {cand.trial} {cand.label}"
        if run is not None:
            say(f"{head}: done before (run {run.id}), skipped")
            rows.append(entry(run, skipped=True))
            done_runs.append(run)
            continue
        data = data if data is not None else load_full(plan)
        say(f"{head}, proxy accuracy {cand.proxy_accuracy:.3f}")
        trained = train_full(cand.architecture, data.train, data.x_test, data.y_test,
                             plan.recipe, plan.spec.space().pool_after, plan.request.seed,
                             checkpoint_path(store, key), stop, progress, say)
        if trained is None:
            say("stopped: rerun the same command to resume from the last finished epoch")
            return result(plan, recipe_json(plan, data), rows, stopped=True)
        run = store.get_run(_save(store, plan, cand, key, data, trained))
        checkpoint_path(store, key).unlink(missing_ok=True)
        say(f"{head}: test accuracy {run.metrics['test_accuracy']:.4f} (run {run.id})")
        rows.append(entry(run))
    recipe = recipe_json(plan, data) if data is not None else done_runs[0].config["recipe"]
    return result(plan, recipe, rows, stopped=False)


def _save(store: RunStore, plan: Plan, cand: Candidate, key: str, data: FullData,
          trained: Trained) -> int:
    spec, recipe, arch = plan.spec, plan.recipe, cand.architecture
    config = {
        **spec.to_attrs(), "dataset": plan.request.dataset, "proxy_dataset": spec.dataset,
        "preset": recipe.name, "study": plan.request.study, "trial": cand.trial,
        "stage": STAGE, "retrain_key": key, "storage": shown(plan.url),
        "architecture": arch.to_dict(), "pool_after": list(spec.space().pool_after),
        "neuron_config": asdict(recipe.neuron),
        "time_steps": recipe.neuron.time_steps if arch.model == "snn" else 1,
        "in_channels": data.train.channels, "input_shape": list(data.train.x_train.shape[1:]),
        "num_classes": data.train.num_classes, "recipe": recipe_json(plan, data),
        "pooling": "2x2 max after the layers in pool_after; head: 2x2 average, linear",
    }
    metrics = {"label": cand.label, "proxy_accuracy": cand.proxy_accuracy,
               **trained.metrics()}
    return int(store.save_run("nas", config, history=trained.history, metrics=metrics,
                              weights=trained.weights,
                              name=f"{plan.request.study} #{cand.trial} full scale"))


def recipe_json(plan: Plan, data: FullData) -> dict[str, Any]:
    recipe = plan.recipe
    return {"epochs": recipe.epochs, "lr": recipe.lr, "batch_size": recipe.batch_size,
            "warmup_epochs": recipe.warmup_epochs, "seed": plan.request.seed,
            "max_train_samples": plan.request.max_train_samples,
            "time_steps": recipe.neuron.time_steps,
            "train_samples": len(data.train.y_train), "val_samples": len(data.train.y_test),
            "test_samples": len(data.y_test)}


def entry(run: Any, skipped: bool = False) -> dict[str, Any]:
    """One retrained architecture from its stored run."""
    c, m = run.config, run.metrics
    arch = c["architecture"]
    return {"trial": c["trial"], "label": m.get("label"), "model": arch["model"],
            "neuron": arch.get("neuron"), "reset": arch.get("reset"),
            "layers": [list(layer) for layer in arch["layers"]],
            **{k: m.get(k) for k in ("parameters", "proxy_accuracy", "val_accuracy",
                                      "test_accuracy", "best_epoch", "spikes_per_layer",
                                      "spikes", "seconds", "epochs")},
            "run_id": run.id, "skipped": skipped}


def result(plan: Plan, recipe: dict[str, Any], rows: list[dict[str, Any]],
           stopped: bool) -> dict[str, Any]:
    return {"study": plan.request.study, "storage": shown(plan.url),
            "dataset": plan.request.dataset, "preset": plan.recipe.name, "stopped": stopped,
            "recipe": recipe, "architectures": rows}


def retrain_job(request: RetrainRequest, store_path: str | None = None, *, stop: Any,
                report: Any) -> dict[str, Any]:
    """The work of a page's job (``core.jobs.Job``): progress per batch, the JSON result."""
    checked = plan(request)
    total = len(checked.candidates)
    report(Count(0, total, "architectures"))
    out = retrain(checked, RunStore(store_path), stop=stop, progress=report)
    report(Count(len(out["architectures"]), total, "architectures"))  # skipped ones count too
    return out


def retrained_runs(store: RunStore, storage: str | None = None) -> list[Any]:
    """The stored full-scale runs (of the storage ``storage``, masked, when given)."""
    return [run for run in store.list_runs("nas") if run.config.get("stage") == STAGE
            and (storage is None or run.config.get("storage") == shown(storage))]


