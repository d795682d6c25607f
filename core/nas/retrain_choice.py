"""Which retrainings a ``nas-retrain`` request makes: its candidates, under its conditions.

``choose`` picks the candidates (a trial by number, or the ``top`` best distinct architectures
by proxy accuracy); ``make_units`` crosses them with the conditions asked for
(``core.nas.retrain_conditions``), one unit per distinct network, in the order given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.nas.retrain_conditions import STUDY, Proxy, convert
from core.nas.space import Architecture
from core.nas.summary import TrialRecord


@dataclass(frozen=True)
class Candidate:
    """One architecture to retrain: its trial, row label and proxy accuracy."""

    trial: int
    label: str
    architecture: Architecture
    proxy_accuracy: float


@dataclass(frozen=True)
class Unit:
    """One retraining: a candidate's layers under one condition (``architecture``) and that
    condition's proxy accuracy (``None``: none in the studies, to be measured)."""

    candidate: Candidate
    architecture: Architecture
    proxy: Proxy | None

    @property
    def converted(self) -> bool:
        """Whether this is another condition than the searched trial's own."""
        return self.architecture != self.candidate.architecture


def make_units(candidates: list[Candidate], conditions: tuple[str, ...], study: str,
               find: Callable[[Architecture], Proxy | None]) -> list[Unit]:
    """Each candidate under each condition (one unit per distinct network); ``find(arch)``
    gives a converted condition's proxy from the studies, or None."""
    units: list[Unit] = []
    for cand in candidates:
        seen: set[Architecture] = set()
        for name in conditions:
            arch = convert(cand.architecture, name)
            if arch in seen:
                continue
            seen.add(arch)
            own = Proxy(cand.proxy_accuracy, STUDY, study, cand.trial)
            units.append(Unit(cand, arch, own if arch == cand.architecture else find(arch)))
    return units


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
