"""Full-scale retraining of a study's best architectures (``python -m core nas-retrain``).

A search ranks architectures on a proxy (a subset, few epochs, maybe pooled images); this
trains the best K of them by proxy accuracy (complete trials, the study's objective, one trial
per distinct architecture), or one trial by number, on the whole training set at full
resolution with the preset's ``retrain_*`` recipe (``core.nas.trainer``): Adam, linear warm-up
then cosine decay, the training set split train:val = 8:2 with a fixed seed, the weights of
the best validation epoch kept and measured once on the official test set.

``conditions`` (``--as``) retrains each architecture under its own condition (``same``,
the default), as the ReLU CNN with the same layers (``dnn``) or as the SNN with another
neuron/reset (``lif-soft``...), each a run of its own (``core.nas.retrain_conditions``, which
also finds or measures a converted condition's proxy accuracy: ``proxy_source``).

Each retraining becomes a run of kind ``"nas"`` (``stage: "retrain"`` in its config, with the
keys ``core.hardware.runs`` prices: architecture, pool_after, time_steps, dataset...). After
every epoch a checkpoint (model, Adam, schedule, shuffling generator, best weights) is written
to ``nas-retrain/<key>.pt`` beside the run database; a stop (a signal, at the next batch) drops
only the unfinished epoch, and the same request resumes from the checkpoint and skips the
retrainings whose run is already stored.

The result (JSON, stable keys)::

    {"study", "storage" (password masked), "dataset", "preset", "stopped": bool,
     "recipe": {"epochs", "lr", "batch_size", "warmup_epochs", "seed", "max_train_samples",
                "time_steps", "train_samples", "val_samples", "test_samples"},
     "architectures": [{"trial", "label", "model", "neuron", "reset", "layers", "parameters",
                        "proxy_accuracy", "val_accuracy", "test_accuracy", "best_epoch",
                        "spikes_per_layer" (per test image; None for the DNN), "spikes",
                        "seconds", "epochs", "run_id", "skipped" (already done),
                        "condition" (as retrained: "LIF, Soft", "DNN"), "proxy_source"
                        ("study" or "measured"), "proxy_study", "proxy_trial"}]}

``label`` is the searched trial's row label, ``condition`` the condition it was retrained
under; ``architectures`` lists each architecture's conditions in the order asked. Retrainings
not finished when stopped are left out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import optuna
import torch

from core.checks import check_whole
from core.data.base import DataUnavailable
from core.data.registry import DATASET_INFO, dataset_names, load_dataset
from core.fit import PreparedData, StopSignal
from core.nas.retrain_choice import Candidate, Unit, choose, make_units
from core.nas.retrain_conditions import (
    SAME,
    STUDY,
    Proxy,
    in_records,
    in_studies,
    measure,
    parse_conditions,
    proxy_key,
)
from core.nas.retrain_loop import Trained, train_full
from core.nas.retrain_views import stored_condition
from core.nas.study import SearchSpec, open_study
from core.nas.summary import study_records
from core.nas.trainer import PRESETS, TrainPreset, image_tensor, prepare_data, split_training
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
    the study's), under which ``conditions`` (``core.nas.retrain_conditions.CONDITIONS``;
    comma lists are split). ``max_train_samples`` cuts the training set (tests, quick looks)."""

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
    conditions: tuple[str, ...] = (SAME,)

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", parse_conditions(self.conditions))
        if self.top is not None and self.trial is not None:
            raise ValueError("Give either the number of best architectures (top) or a trial "
                             "number, not both.")
        if self.top is not None:
            check_whole("top", self.top, 1, 1000)
        if self.trial is not None:
            check_whole("A trial number", self.trial, 0, 10**9)
        info = DATASET_INFO.get(self.dataset)
        if info is None:
            images = ", ".join(dataset_names(kinds=("image",)))
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
        check_whole("epochs", epochs, 1, 1000)
        return replace(
            base, epochs=epochs, lr=self.lr if self.lr is not None else base.retrain_lr,
            batch_size=self.batch_size or base.retrain_batch_size,
            warmup_epochs=min(base.retrain_warmup_epochs, epochs - 1),
            max_train_samples=self.max_train_samples, input_pool=1,
        )


@dataclass(frozen=True, eq=False)
class Plan:
    """A checked request: the opened study, its settings, the recipe, the candidates and
    their retrainings (``units``: each candidate under each condition, in that order)."""

    request: RetrainRequest
    url: str
    study: optuna.Study
    spec: SearchSpec
    recipe: TrainPreset
    candidates: tuple[Candidate, ...]
    units: tuple[Unit, ...]


def plan(request: RetrainRequest) -> Plan:
    """Check the request against its storage and study; creates nothing (ValueError)."""
    url = check_storage(request.storage)
    storage = existing_storage(url)
    if storage is None:
        raise ValueError(f"No study storage at {shown(url)}: search first (python -m core nas).")
    study, spec = open_study(storage, request.study)
    recipe = request.recipe(PRESETS[request.preset or spec.preset])
    records = study_records(study)
    candidates = choose(records, request.top, request.trial, request.study)
    units = make_units(candidates, request.conditions, request.study,
                       lambda arch: in_records(records, arch, request.study)
                       or in_studies(storage, spec, arch, skip=request.study))
    return Plan(request, url, study, spec, recipe, tuple(candidates), tuple(units))


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


def run_key(plan: Plan, unit: Unit) -> str:
    """What makes two retrainings the same: storage, study, trial, data, recipe and, for
    another condition than the trial's own, that condition."""
    r, recipe = plan.request, plan.recipe
    parts = [shown(plan.url), r.study, unit.candidate.trial, r.dataset, recipe.epochs,
             recipe.lr, recipe.batch_size, recipe.warmup_epochs, r.seed, r.max_train_samples,
             asdict(recipe.neuron), list(plan.spec.space().pool_after)]
    if unit.converted:  # the trial's own condition keeps the key it had before --as
        parts.append(unit.architecture.condition)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def checkpoint_path(store: RunStore, key: str) -> Path:
    return Path(store.path).parent / CHECKPOINTS / f"{key}.pt"


def find_done(store: RunStore, key: str) -> Any | None:
    """The stored run of this retraining, if it finished before."""
    for run in store.list_runs("nas"):
        if run.config.get("stage") == STAGE and run.config.get("retrain_key") == key:
            return run
    return None


class Inputs:
    """The data of a request, loaded when first needed: the full-scale sets (``full``) and
    the study's proxy split (``proxy``, to measure a converted condition)."""

    def __init__(self, plan: Plan, full: FullData | None = None) -> None:
        self.plan, self.loaded = plan, full
        self._proxy: PreparedData | None = None

    def full(self) -> FullData:
        if self.loaded is None:
            self.loaded = load_full(self.plan)
        return self.loaded

    def proxy(self) -> PreparedData:
        if self._proxy is None:
            r, spec = self.plan.request, self.plan.spec
            path = r.data_path if r.dataset == spec.dataset else None  # the path is r.dataset's
            try:
                self._proxy = prepare_data(spec.dataset, spec.train_preset, path, r.download)
            except DataUnavailable as exc:
                raise ValueError(str(exc)) from exc
        return self._proxy


def retrain(plan: Plan, store: RunStore, stop: StopSignal | None = None,
            progress: ProgressFn | None = None, say: MessageFn | None = None,
            data: FullData | None = None) -> dict[str, Any]:
    """Retrain the plan's units in order (skipping those done); the JSON result.

    The data are loaded only when a unit needs training: repeating a finished request
    answers from the stored runs, with or without the data at hand."""
    say = say or (lambda _text: None)
    inputs = Inputs(plan, data)
    rows: list[dict[str, Any]] = []
    done_runs: list[Any] = []
    for i, unit in enumerate(plan.units, start=1):
        key, cand = run_key(plan, unit), unit.candidate
        run = find_done(store, key)
        head = (f"retraining {i}/{len(plan.units)}: trial {cand.trial} {cand.label}"
                + (f" as {unit.architecture.condition}" if unit.converted else ""))
        if run is not None:
            say(f"{head}: done before (run {run.id}), skipped")
            rows.append(entry(run, skipped=True))
            done_runs.append(run)
            continue
        run = train_unit(plan, unit, key, store, inputs, stop, progress, say, head)
        if run is None:
            say("stopped: rerun the same command to resume from the last finished epoch")
            return result(plan, recipe_json(plan, inputs.full()), rows, stopped=True)
        rows.append(entry(run))
    recipe = (recipe_json(plan, inputs.loaded) if inputs.loaded is not None
              else done_runs[0].config["recipe"])
    return result(plan, recipe, rows, stopped=False)


def train_unit(plan: Plan, unit: Unit, key: str, store: RunStore, inputs: Inputs,
               stop: StopSignal | None, progress: ProgressFn | None, say: MessageFn,
               head: str) -> Any | None:
    """Measure the unit's proxy accuracy if need be, train it at full scale and save it;
    its stored run, or None when stopped."""
    data = inputs.full()
    proxy = unit.proxy
    if proxy is None:
        say(f"{head}: no trial of the study's data and preset holds these layers as "
            f"{unit.architecture.condition}; measuring its proxy accuracy with the study's "
            f"recipe (preset {plan.spec.preset}, seed {unit.candidate.trial})")
        pkey = proxy_key(shown(plan.url), plan.request.study, unit.candidate.trial,
                         unit.architecture, plan.spec)
        cache = checkpoint_path(store, key).with_name(f"proxy-{pkey}.json")
        proxy = measure(unit.architecture, unit.candidate.trial, plan.spec, inputs.proxy, cache,
                        stop, progress)
        if proxy is None:
            return None
    say(f"{head}, proxy accuracy {proxy.accuracy:.3f} ({proxy.source})")
    trained = train_full(unit.architecture, data.train, data.x_test, data.y_test, plan.recipe,
                         plan.spec.space().pool_after, plan.request.seed,
                         checkpoint_path(store, key), stop, progress, say)
    if trained is None:
        return None
    run = store.get_run(_save(store, plan, unit, proxy, key, data, trained))
    checkpoint_path(store, key).unlink(missing_ok=True)
    say(f"{head}: test accuracy {run.metrics['test_accuracy']:.4f} (run {run.id})")
    return run


def _save(store: RunStore, plan: Plan, unit: Unit, proxy: Proxy, key: str, data: FullData,
          trained: Trained) -> int:
    spec, recipe, arch, cand = plan.spec, plan.recipe, unit.architecture, unit.candidate
    config = {
        **spec.to_attrs(), "dataset": plan.request.dataset, "proxy_dataset": spec.dataset,
        "preset": recipe.name, "study": plan.request.study, "trial": cand.trial,
        "stage": STAGE, "retrain_key": key, "storage": shown(plan.url),
        "architecture": arch.to_dict(), "pool_after": list(spec.space().pool_after),
        "condition": arch.condition, "searched_condition": cand.architecture.condition,
        "neuron_config": asdict(recipe.neuron),
        "time_steps": recipe.neuron.time_steps if arch.model == "snn" else 1,
        "in_channels": data.train.channels, "input_shape": list(data.train.x_train.shape[1:]),
        "num_classes": data.train.num_classes, "recipe": recipe_json(plan, data),
        "pooling": "2x2 max after the layers in pool_after; head: 2x2 average, linear",
    }
    metrics = {"label": cand.label, "condition": arch.condition,
               "proxy_accuracy": proxy.accuracy, "proxy_source": proxy.source,
               "proxy_study": proxy.study, "proxy_trial": proxy.trial, **trained.metrics()}
    name = f"{plan.request.study} #{cand.trial} full scale"
    return int(store.save_run("nas", config, history=trained.history, metrics=metrics,
                              weights=trained.weights,
                              name=name + (f" as {arch.condition}" if unit.converted else "")))


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
            "run_id": run.id, "skipped": skipped,
            "condition": m.get("condition") or stored_condition(arch),
            "proxy_source": m.get("proxy_source", STUDY),  # runs before --as: the study's
            "proxy_study": m.get("proxy_study", c.get("study")),
            "proxy_trial": m.get("proxy_trial", c.get("trial"))}


def result(plan: Plan, recipe: dict[str, Any], rows: list[dict[str, Any]],
           stopped: bool) -> dict[str, Any]:
    return {"study": plan.request.study, "storage": shown(plan.url),
            "dataset": plan.request.dataset, "preset": plan.recipe.name, "stopped": stopped,
            "recipe": recipe, "architectures": rows}


def retrain_job(request: RetrainRequest, store_path: str | None = None, *, stop: Any,
                report: Any) -> dict[str, Any]:
    """The work of a page's job (``core.jobs.Job``): progress per batch, the JSON result."""
    checked = plan(request)
    total = len(checked.units)
    report(Count(0, total, "retrainings"))
    out = retrain(checked, RunStore(store_path), stop=stop, progress=report)
    report(Count(len(out["architectures"]), total, "retrainings"))  # skipped ones count too
    return out


def retrained_runs(store: RunStore, storage: str | None = None) -> list[Any]:
    """The stored full-scale runs (of the storage ``storage``, masked, when given)."""
    return [run for run in store.list_runs("nas") if run.config.get("stage") == STAGE
            and (storage is None or run.config.get("storage") == shown(storage))]


