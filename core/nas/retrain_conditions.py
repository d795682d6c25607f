"""The conditions a searched architecture is retrained under, and each one's proxy accuracy.

``nas-retrain --as`` names them: ``same`` (the trial's own condition), ``dnn`` (the ReLU CNN
with the same layers: ``ConvNet`` with ``model == "dnn"``, one time step) or
``<neuron>-<reset>`` (the SNN with that neuron and reset, e.g. ``lif-soft``; the neurons are
the trainable models of the registry). Every condition of an architecture is a run of its own.

The proxy accuracy of a converted condition (what the search would have scored it) comes from
the studies when a complete trial holds exactly that architecture: the request's study first,
then the storage's other SpikeLab studies that searched the same data set with the same preset
(the same proxy recipe), by name. Otherwise it is measured: the architecture trained once as the
search trains a trial (``core.nas.trainer.train_architecture``: the study's preset, data split
and the source trial's number as seed). A measurement is kept in
``nas-retrain/proxy-<key>.json`` beside the run database, so a stopped or repeated request
does not measure it again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from optuna.storages import BaseStorage

from core.fit import PreparedData, StopSignal
from core.nas.space import NEURONS, RESETS, Architecture
from core.nas.study import SearchSpec, open_study
from core.nas.summary import TrialRecord, list_studies, study_records
from core.nas.trainer import train_architecture
from core.progress import ProgressFn

SAME = "same"
DNN = "dnn"
#: Every name ``--as`` takes: same, dnn, then <neuron>-<reset> (if-hard, if-soft, lif-hard...).
CONDITIONS: tuple[str, ...] = (SAME, DNN, *(f"{n.lower()}-{r}" for n in NEURONS
                                            for r in RESETS))
STUDY, MEASURED = "study", "measured"  # where a proxy accuracy comes from


def parse_conditions(values: Iterable[str]) -> tuple[str, ...]:
    """Condition names (each may be a comma list), lower-cased, in order, each once."""
    out: list[str] = []
    for value in [values] if isinstance(values, str) else values:
        for name in str(value).split(","):
            name = name.strip().lower()
            if name and name not in CONDITIONS:
                raise ValueError(f"Unknown condition {name!r}; choose from "
                                 f"{', '.join(CONDITIONS)}.")
            if name and name not in out:
                out.append(name)
    if not out:
        raise ValueError(f"Name at least one condition to retrain under "
                         f"({', '.join(CONDITIONS)}).")
    return tuple(out)


def convert(arch: Architecture, name: str) -> Architecture:
    """``arch``'s layers under condition ``name`` (``same``: ``arch`` itself)."""
    if name == SAME:
        return arch
    if name == DNN:
        return Architecture("dnn", arch.layers)
    neuron, reset = name.split("-")
    return Architecture("snn", arch.layers, neuron.upper(), reset)


def condition_title(name: str) -> str:
    """How a page lists condition ``name``: ``LIF, Soft``, ``DNN (ReLU, same layers)``..."""
    if name == SAME:
        return "the trial's own"
    if name == DNN:
        return "DNN (ReLU, same layers)"
    return convert(Architecture("dnn", ((1, 1),)), name).condition


@dataclass(frozen=True)
class Proxy:
    """A proxy accuracy and where it comes from: a study's trial, or measured here."""

    accuracy: float
    source: str  # STUDY or MEASURED
    study: str | None = None
    trial: int | None = None


def in_records(records: list[TrialRecord], arch: Architecture, study: str) -> Proxy | None:
    """The earliest complete trial of ``records`` that holds exactly ``arch``."""
    for record in records:
        if record.complete and record.architecture == arch:
            return Proxy(float(record.val_accuracy or 0.0), STUDY, study, record.number)
    return None


def in_studies(storage: BaseStorage, spec: SearchSpec, arch: Architecture,
               skip: str) -> Proxy | None:
    """``arch`` in another study of ``storage`` (not ``skip``) with ``spec``'s data set and
    preset, the studies taken by name."""
    for info in sorted(list_studies(storage), key=lambda s: s["study"]):
        if (info["study"] == skip or info.get("dataset") != spec.dataset
                or info.get("preset") != spec.preset or info.get("model") != arch.model):
            continue
        study, _ = open_study(storage, info["study"])
        found = in_records(study_records(study), arch, info["study"])
        if found is not None:
            return found
    return None


def proxy_key(url: str, study: str, trial: int, arch: Architecture, spec: SearchSpec) -> str:
    """What makes two proxy measurements the same: study, trial (the seed), architecture,
    data set and the proxy recipe."""
    parts = [url, study, trial, arch.to_dict(), spec.dataset,
             asdict(spec.train_preset), list(spec.space().pool_after)]
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def measure(arch: Architecture, trial: int, spec: SearchSpec,
            data: Callable[[], PreparedData], cache: Path, stop: StopSignal | None = None,
            progress: ProgressFn | None = None) -> Proxy | None:
    """``arch``'s proxy accuracy trained with the study's recipe (seed ``trial``), kept in
    ``cache`` (read from it when there); None when stopped."""
    try:
        return Proxy(float(json.loads(cache.read_text())["proxy_accuracy"]), MEASURED,
                     None, trial)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none yet (or a torn file): measure
    outcome = train_architecture(arch, data(), spec.train_preset, spec.space().pool_after,
                                 seed=trial, stop=stop, progress=progress)
    if outcome is None:
        return None
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps({"proxy_accuracy": outcome.val_accuracy,
                               "architecture": arch.to_dict(), "trial": trial,
                               "seconds": outcome.seconds}))
    os.replace(tmp, cache)
    return Proxy(outcome.val_accuracy, MEASURED, None, trial)
