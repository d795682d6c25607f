"""How a conv suite result reads (``python -m core bench --suite conv --json``): its table rows,
issue 23's targets, whether it is a smoke run, and how long a run of the suite takes, from the
step times a run measured (the data; the Benchmarks page and ``app/figures/benchmarks.py`` draw
it). A ratio is a row's step time over SpikeLab's fast path's: above 1 SpikeLab is faster.

Issue 23's targets, at batch 128 and 64: SpikeLab's step at least 2.5× faster than the fastest
peer as its tutorials build it, at least 1.3× faster than the fastest peer run in SpikeLab's
precision and layout ("matched"), and at most 0.8 of the float32 dense floor (the ReLU CNN with
the same convolutions on the [T·B] batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.bench.verdicts import MIN_ROUNDS, Target, targets
from core.limits import clip

#: Issue 23's targets: (result key, goal, threshold, at least (True) or at most (False)).
CONV_TARGETS: tuple[tuple[str, str, float, bool], ...] = (
    ("fastest_peer", "≥ 2.5× the fastest peer, tutorial-built", 2.5, True),
    ("fastest_peer_matched", "≥ 1.3× the fastest peer, matched precision and layout", 1.3, True),
    ("of_floor", "≤ 0.8 of the float32 dense floor", 0.8, False),
)
#: The batch sizes issue 23 sets its targets at, and the time steps of its workload.
TARGET_BATCHES, TARGET_STEPS = (128, 64), 4
SHORT = {"spikelab": "SpikeLab", "spikelab_reference": "SpikeLab reference",
         "snntorch": "snnTorch", "spikingjelly": "SpikingJelly", "norse": "Norse",
         "floor": "ReLU CNN floor"}
BUILDS = {"tutorial": "tutorial build (float32, contiguous)",
          "matched": "matched (SpikeLab's precision and layout)",
          "bf16": "bfloat16 convs, channels_last", "fp32": "float32"}
#: The order of the table within a batch: SpikeLab, its reference, the peers, the floor.
RANK = {"spikelab": 0, "spikelab_reference": 1, "floor": 3}
#: One round of the suite as recorded in docs/measurements.md ("Conv SNNs at full scale",
#: 2026-12-06, AMD EPYC, 2 idle cores, T = 4, medians of 7): the sum of every row's median step
#: at each batch, seconds. The time of a run before any is saved here is counted from these.
RECORDED_ROUND_S: dict[int, float] = {128: 4.268, 64: 2.372}
#: ``--quick`` (tiny sizes, one round), wall seconds measured here with /usr/bin/time on 2
#: cores shared with a long measurement (load 5): mostly imports and the networks' builds.
QUICK_WALL_S = 24


def conv_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The conv table: one row per implementation, variant and batch (largest batch first;
    SpikeLab, its reference, the peers fastest first, then the floor), with the step in ms, the
    ratio to SpikeLab's fast path and the step-1 loss."""
    rows = []
    for r in result["results"]:
        name, variant = str(r["name"]), str(r["variant"])
        build = BUILDS.get(variant, variant)
        if name == "floor":
            build = "float32" if variant == "tutorial" else BUILDS["matched"]
        rows.append({"implementation": str(r.get("label") or name), "name": name,
                     "variant": variant, "build": build,
                     "short": f"{SHORT.get(name, name)} {variant}", "batch": int(r["batch"]),
                     "step_ms": float(r["median_s"]) * 1e3, "ratio": float(r["ratio"]),
                     "step1_loss": float(r["step1_loss"])})
    return sorted(rows, key=lambda r: (-r["batch"], RANK.get(r["name"], 2), r["ratio"]))


def conv_note(result: Mapping[str, Any]) -> str | None:
    """A sentence when the result gives no verdict on issue 23's targets: not T = 4, fewer
    than ``MIN_ROUNDS`` rounds (the smoke run, ``--quick``), or no batch of
    ``TARGET_BATCHES``; None when it gives one."""
    config = result.get("config")
    config = config if isinstance(config, Mapping) else {}
    steps, rounds = config.get("time_steps"), config.get("repeats")
    batches = sorted({int(r["batch"]) for r in result["results"]}, reverse=True)
    if steps != TARGET_STEPS or not (isinstance(rounds, int) and rounds >= MIN_ROUNDS):
        return (f"Measured at T = {clip(steps, 20)} with {clip(rounds, 20)} round(s), not issue "
                f"23's T = {TARGET_STEPS} with at least {MIN_ROUNDS} rounds: a smoke run, not a "
                "verdict.")
    if not set(batches) & set(TARGET_BATCHES):
        return (f"Measured at batch {', '.join(map(str, batches))}, none of the batches issue "
                f"23 sets its targets at ({' and '.join(map(str, TARGET_BATCHES))}): no "
                "verdict.")
    return None


def conv_targets(result: Mapping[str, Any]) -> list[Target]:
    """Issue 23's targets (``CONV_TARGETS``) at each measured batch of ``TARGET_BATCHES``;
    empty for a result that gives no verdict (``conv_note``)."""
    if conv_note(result) is not None:
        return []
    return targets(result, CONV_TARGETS, TARGET_BATCHES)


@dataclass(frozen=True)
class ConvTakes:
    """How long a run of the conv suite spends in its timed steps, from measured step times."""

    seconds: float | None  # (warm-up + rounds) x one round at every batch; None: a batch untimed
    per_round: dict[int, float]  # one round's seconds (every row's step once) by timed batch
    untimed: tuple[int, ...]  # the batches no run has timed
    basis: str  # where the step times come from


def round_seconds(result: Mapping[str, Any]) -> dict[int, float]:
    """One round of a T = 4 result (every row's median step once), seconds by batch; empty for
    other time steps, whose steps are not the suite's."""
    config = result.get("config")
    if not isinstance(config, Mapping) or config.get("time_steps") != TARGET_STEPS:
        return {}
    out: dict[int, float] = {}
    for r in result["results"]:
        out[int(r["batch"])] = out.get(int(r["batch"]), 0.0) + float(r["median_s"])
    return out


def conv_takes(batches: Sequence[int], repeats: int, warmup: int,
               result: Mapping[str, Any] | None = None) -> ConvTakes:
    """The timed part of a full run at ``batches``: each function runs ``warmup`` times and then
    once a round, so (warm-up + rounds) × one round at each batch. One round is counted from the
    step times of ``result`` (the last saved run) where it timed the batch, else from the run
    recorded in docs/measurements.md (``RECORDED_ROUND_S``). Building the networks comes on
    top."""
    saved = round_seconds(result) if result is not None else {}
    per_round: dict[int, float] = {}
    untimed: list[int] = []
    sources: set[str] = set()
    for batch in batches:
        source = "saved" if batch in saved else "recorded" if batch in RECORDED_ROUND_S else None
        if source is None:
            untimed.append(batch)
            continue
        per_round[batch] = (saved if source == "saved" else RECORDED_ROUND_S)[batch]
        sources.add(source)
    words = {"saved": "the last saved conv run's step times",
             "recorded": "the step times recorded in docs/measurements.md (2 idle cores)"}
    basis = " and ".join(words[k] for k in ("saved", "recorded") if k in sources)
    seconds = None if untimed else (warmup + repeats) * sum(per_round.values())
    return ConvTakes(seconds, per_round, tuple(untimed), basis)
