"""How a peers result reads: its table rows, issue 15's targets, one verdict sentence per batch
and the peers it misses (the data; ``app/figures/benchmarks.py`` and the Benchmarks page draw
it). A ratio is a peer's time over SpikeLab's: above 1 SpikeLab is faster, below 1 slower.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.limits import clip

FLOOR_LABEL = "dense-GEMM floor (the step's matrix multiplies alone)"
#: Issue 15's targets: (result key, goal, threshold, at least (True) or at most (False)).
TARGETS: tuple[tuple[str, str, float, bool], ...] = (
    ("fastest_peer", "≥ 3× the fastest peer", 3.0, True),
    ("snntorch_ratio", "≥ 5× snnTorch", 5.0, True),
    ("of_floor", "≤ 0.5 of the dense-GEMM floor", 0.5, False),
)


def peer_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The peers table: one row per implementation and batch (largest batch first, fastest
    first), then the dense-GEMM floor of each batch. Ratios are to SpikeLab fast (> 1: slower)."""
    rows = [{"implementation": str(r.get("label") or r["name"]), "name": r["name"],
             "batch": int(r["batch"]), "median_s": float(r["median_s"]),
             "ratio": float(r["ratio"]), "peak_mb": r.get("peak_mem_mb")}
            for r in result["results"]]
    fast = {row["batch"]: row["median_s"] / row["ratio"] for row in rows}
    for batch, seconds in (result.get("floor_s") or {}).items():
        if int(batch) in fast and isinstance(seconds, int | float) and seconds > 0:
            rows.append({"implementation": FLOOR_LABEL, "name": "floor", "batch": int(batch),
                         "median_s": float(seconds), "ratio": seconds / fast[int(batch)],
                         "peak_mb": None})
    return sorted(rows, key=lambda r: (-r["batch"], r["name"] == "floor", r["ratio"]))


@dataclass(frozen=True)
class Target:
    """One of issue 15's targets at one batch size, and whether the measurement meets it."""

    goal: str
    batch: int
    measured: float | None  # the ratio (times faster) or the fraction of the floor
    threshold: float
    met: bool | None  # None: not measured (a peer is missing)
    against: str = ""  # the peer it was measured against, where one is named

    @property
    def verdict(self) -> str:
        return {True: "met", False: "not met", None: "not measured"}[self.met]


def targets(result: Mapping[str, Any],
            table: tuple[tuple[str, str, float, bool], ...] = TARGETS,
            only: tuple[int, ...] | None = None) -> list[Target]:
    """Targets (issue 15's ``TARGETS``, or ``table``) at every measured batch (those of ``only``
    when given), from the result's figures."""
    labels = {r["name"]: str(r.get("label") or r["name"]) for r in result["results"]}
    batches = sorted({int(r["batch"]) for r in result["results"]}, reverse=True)
    batches = [b for b in batches if only is None or b in only]
    out = []
    for key, goal, threshold, at_least in table:
        for batch in batches:
            value = result.get(key, {}).get(str(batch))
            against = ""
            if isinstance(value, Mapping):  # fastest_peer: {"name", "ratio"}
                against = labels.get(value.get("name"), str(value.get("name")))
                value = value.get("ratio")
            measured = float(value) if isinstance(value, int | float) else None
            met = None if measured is None else (
                measured >= threshold if at_least else measured <= threshold)
            out.append(Target(goal, batch, measured, threshold, met, against))
    return out


#: The fewest interleaved rounds, and warm-up calls before them, whose medians a peers result
#: must have for its targets to be verdicts (the quick run has 5 and 2, the full one 7 and 2).
MIN_ROUNDS, MIN_WARMUP = 3, 2


def workload_note(result: Mapping[str, Any]) -> str | None:
    """A sentence when the result is a smoke run, not a verdict: not measured on the SHD-shaped
    workload the targets are set for (``--smoke``, other sizes) or, for the peers suite, with
    fewer than ``MIN_ROUNDS`` rounds after ``MIN_WARMUP`` warm-up calls; None when it is one."""
    from core.bench.workload import PeerConfig

    peers = result.get("suite") != "scaling"
    config = result.get("config" if peers else "base") or {}
    if not isinstance(config, Mapping):
        config = {}
    shape = ("inputs", "hidden", "outputs", "steps", "density")
    ref = PeerConfig()
    if not all(config.get(k) == getattr(ref, k) for k in shape):
        sizes = "-".join(clip(config.get(k, "?"), 20) for k in shape[:3])
        return (f"Measured on a workload of {sizes}, T = {clip(config.get('steps', '?'), 20)}, "
                f"not the SHD shape ({ref.inputs}-{ref.hidden}-{ref.outputs}, T = {ref.steps}) "
                "that issue 15's figures are for: a smoke run, not a verdict.")
    rounds, warmup = config.get("repeats"), config.get("warmup")
    if peers and not (isinstance(rounds, int) and rounds >= MIN_ROUNDS
                      and isinstance(warmup, int) and warmup >= MIN_WARMUP):
        return (f"Measured with {clip(rounds, 20)} round(s) after {clip(warmup, 20)} warm-up "
                f"call(s), fewer than the {MIN_ROUNDS} rounds after {MIN_WARMUP} warm-up calls "
                "a comparison needs: a smoke run, not a verdict.")
    return None


def speed_words(ratio: float) -> str:
    """A peer's step time over SpikeLab fast's, said of SpikeLab fast: ``"4.94× faster"`` when
    the ratio is above 1, ``"3.85× slower"`` (its inverse) below, ``"as fast"`` at 1.00."""
    if f"{ratio:.2f}" == "1.00":
        return "as fast"
    return f"{ratio:.2f}× faster" if ratio > 1 else f"{1 / ratio:.2f}× slower"


def verdicts(result: Mapping[str, Any]) -> list[str]:
    """One sentence per measured batch: which implementation was fastest, and SpikeLab fast
    against the fastest peer; empty for a smoke run (``workload_note``), which has none."""
    if workload_note(result) is not None:
        return []
    labels = {r["name"]: str(r.get("label") or r["name"]) for r in result["results"]}
    out = []
    for batch in sorted({int(r["batch"]) for r in result["results"]}, reverse=True):
        best = (result.get("fastest_peer") or {}).get(str(batch))
        ratio = best.get("ratio") if isinstance(best, Mapping) else None
        if not isinstance(ratio, int | float) or ratio <= 0:
            out.append(f"Batch {batch}: no peer was timed, so there is nothing to compare.")
            continue
        peer = labels.get(best.get("name"), str(best.get("name")))
        if speed_words(ratio) == "as fast":
            out.append(f"Batch {batch}: SpikeLab fast and {peer}, the fastest peer, are as "
                       "fast as each other.")
        elif ratio > 1:
            out.append(f"Batch {batch}: SpikeLab fast is the fastest, {speed_words(ratio)} "
                       f"than the fastest peer ({peer}).")
        else:
            out.append(f"Batch {batch}: {peer} is the fastest; SpikeLab fast is "
                       f"{speed_words(ratio)}.")
    return out


def missing_peers(result: Mapping[str, Any]) -> dict[str, str]:
    """The implementations that could not run, with the reason each gave."""
    reasons = result.get("missing_reasons") or {}
    return {str(name): str(reasons.get(name, "no reason recorded"))
            for name in result.get("missing", [])}
