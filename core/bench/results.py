"""The benchmark results a lab meeting looks at: the last peers and scaling suites, kept in the
run store, and the data of their table, curves and targets.

A result is the JSON object ``python -m core bench --suite peers|scaling --json`` prints. It is
saved in the run store (``core.store``, the SQLite file every run of the app shares) as a run of
kind ``bench-peers`` or ``bench-scaling``: the result itself as the run's metrics, and where it
came from (the command, the SpikeLab git revision, the CPU, the wall time) as its
configuration, so it survives an app restart and is shown without re-running. ``run_plan`` is
the work the Benchmarks page runs in a background job (``core.jobs``): the same suites, sizes and
defaults as the command line.

The figures' data is computed here and drawn by ``app/figures/benchmarks.py``: the peers table
(``peer_rows``) and issue 15's targets (``targets``); the scaling curves live in
``core.bench.curves``.
Anything read back, from the store or from a file, is checked first (``check_result``): a
corrupt or foreign file gives one sentence (a ``ValueError``), never a traceback. A file is
refused before parsing when it is larger than ``LIMITS.bench_json_mb`` (a real result is a few
kB) or nests deeper than ``LIMITS.json_depth``. Its strings are a stranger's text: pages escape
them before they reach Markdown.
"""

from __future__ import annotations

import json
import math
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.limits import LIMITS, MB, clip
from core.progress import Count
from core.store import RunStore
from core.store.safe_json import loads

SUITES: tuple[str, ...] = ("peers", "scaling")
KINDS: dict[str, str] = {suite: f"bench-{suite}" for suite in SUITES}
ROOT = Path(__file__).resolve().parents[2]
FLOOR_LABEL = "dense-GEMM floor (the step's matrix multiplies alone)"
QUANTITY_LABELS = {"steps": "time steps T", "hidden": "hidden size", "batch": "batch",
                   "density": "input density"}
#: Issue 15's targets: (result key, goal, threshold, at least (True) or at most (False)).
TARGETS: tuple[tuple[str, str, float, bool], ...] = (
    ("fastest_peer", "≥ 3× the fastest peer", 3.0, True),
    ("snntorch_ratio", "≥ 5× snnTorch", 5.0, True),
    ("of_floor", "≤ 0.5 of the dense-GEMM floor", 0.5, False),
)


class Stopped(Exception):
    """Raised inside a suite's progress callback when its job was asked to stop."""


# --- checking a result ------------------------------------------------------------------


def number(value: Any, what: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} is not a finite number ({value!r}).")
    if positive and value <= 0:
        raise ValueError(f"{what} is not positive ({value!r}).")
    return float(value)


def _mapping(result: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = result.get(key)
    if not isinstance(value, Mapping):
        raise ValueError(f"its {key!r} entry is missing or not an object.")
    return value


def _check_peers(result: Mapping[str, Any]) -> None:
    rows = result.get("results")
    if not isinstance(rows, list) or not rows:
        raise ValueError("it holds no timed implementations ('results' is empty or missing).")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not isinstance(row.get("name"), str):
            raise ValueError(f"result {i + 1} has no implementation name.")
        number(row.get("batch"), f"the batch of result {i + 1}", positive=True)
        number(row.get("median_s"), f"the time of result {i + 1}", positive=True)
        number(row.get("ratio"), f"the ratio of result {i + 1}", positive=True)
        if row.get("peak_mem_mb") is not None:
            number(row["peak_mem_mb"], f"the peak memory of result {i + 1}")
    for key in ("fastest_peer", "snntorch_ratio", "of_floor"):
        _mapping(result, key)
    if not isinstance(result.get("missing", []), list):
        raise ValueError("its 'missing' entry is not a list.")
    for key in ("floor_s", "missing_reasons", "loss_check", "load_average"):
        if not isinstance(result.get(key) or {}, Mapping):
            raise ValueError(f"its {key!r} entry is not an object.")


def _check_scaling(result: Mapping[str, Any]) -> None:
    sweeps = _mapping(result, "sweeps")
    if not sweeps:
        raise ValueError("it holds no sweeps.")
    for quantity, sweep in sweeps.items():
        if not isinstance(sweep, Mapping):
            raise ValueError(f"the {quantity} sweep is not an object.")
        values, seconds = sweep.get("values"), sweep.get("median_s")
        if not isinstance(values, list) or not isinstance(seconds, list) or (
                len(values) != len(seconds) or not values):
            raise ValueError(f"the {quantity} sweep's values and times do not pair up.")
        for v, s in zip(values, seconds, strict=True):
            number(v, f"a {quantity} value", positive=True)
            number(s, f"a {quantity} time", positive=True)
        number(sweep.get("exponent"), f"the {quantity} exponent")


def check_result(result: Any, suite: str | None = None) -> str:
    """The suite of a benchmark result (``"peers"`` or ``"scaling"``) after checking its shape;
    ValueError, in one sentence, when it is not one (or not the ``suite`` asked for)."""
    if not isinstance(result, Mapping):
        raise ValueError("This is not a SpikeLab benchmark result: it is not a JSON object.")
    found = result.get("suite")
    if found not in SUITES:
        raise ValueError("This is not a SpikeLab benchmark result: it names no peers or "
                         "scaling suite (expected the output of `python -m core bench --suite "
                         "peers --json` or `--suite scaling --json`).")
    if suite is not None and found != suite:
        raise ValueError(f"This is a {found} result, not a {suite} result.")
    try:
        (_check_peers if found == "peers" else _check_scaling)(result)
    except ValueError as exc:
        raise ValueError(f"This {found} result cannot be shown: {exc}") from None
    return str(found)


def parse_result(data: str | bytes) -> tuple[str, dict[str, Any]]:
    """A result read from the text of a JSON file: (suite, result); ValueError in one sentence."""
    if len(data) > LIMITS.bench_json_mb * MB:
        raise ValueError(f"This file is {len(data) / MB:,.1f} MB, more than the "
                         f"{LIMITS.bench_json_mb} MB a benchmark result may take (a real one is "
                         "a few kB); refused.")
    try:
        result = loads(data, "This file", LIMITS.json_depth)
    except UnicodeDecodeError:
        raise ValueError("This file is not text, so not a benchmark result in JSON.") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"This file is not JSON ({exc.msg} at line {exc.lineno}, column "
                         f"{exc.colno}).") from None
    return check_result(result), result


# --- the store --------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedResult:
    """One saved suite result and where it came from."""

    id: int
    suite: str
    created: str  # ISO time, UTC
    result: dict[str, Any]
    source: dict[str, Any] = field(default_factory=dict)  # command, revision, seconds, ...

    @property
    def cpu(self) -> str:
        return str(self.result.get("cpu") or "unknown CPU")


def git_revision(root: Path = ROOT) -> str | None:
    """SpikeLab's git revision (short hash, ``+changes`` when the tracked files differ from
    it), or None outside a git checkout."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def save_result(store: RunStore, result: Mapping[str, Any],
                source: Mapping[str, Any] | None = None) -> int:
    """Check and store one suite result; ``source`` says where it came from (a file, or the
    command and SpikeLab revision that measured it). Its run id."""
    suite = check_result(result)
    info = {**(source or {}), "suite": suite}
    return store.save_run(KINDS[suite], info, metrics=result)


def latest(store: RunStore, suite: str) -> SavedResult | None:
    """The last saved result of ``suite``, or None; ValueError when it cannot be shown."""
    runs = store.list_runs(kind=KINDS[suite], limit=1)
    if runs.skipped:
        raise ValueError(f"Saved benchmark {runs.skipped[0]} cannot be read: its stored JSON is "
                         "damaged.")
    if not runs:
        return None
    run = runs[0]
    try:
        check_result(run.metrics, suite)
    except ValueError as exc:
        raise ValueError(f"Saved benchmark {run.id}: {exc}") from None
    return SavedResult(run.id, suite, run.created, run.metrics, run.config)


# --- running a suite (the page's job) ----------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One run of a suite: the workload and timing, as ``python -m core bench`` sets them."""

    suite: str
    config: Mapping[str, Any]  # PeerConfig fields
    batches: tuple[int, ...] = ()  # peers
    factors: tuple[float, ...] = ()  # scaling
    repeats: int = 1
    warmup: int = 1
    memory: bool = False  # peers: peak memory, one fresh process per implementation
    command: str = ""

    @property
    def units(self) -> int:
        """Progress messages the suite sends: per batch (or sweep) one build, the rounds, and
        the peak-memory pass."""
        parts = len(self.batches) if self.suite == "peers" else len(SWEPT)
        return parts * (1 + self.repeats + (self.memory and self.suite == "peers"))


SWEPT = tuple(QUANTITY_LABELS)  # core.bench.scaling.QUANTITIES, without importing torch


def plan(suite: str, quick: bool = True, memory: bool = True) -> Plan:
    """The plan of ``python -m core bench --suite SUITE [--quick] [--no-memory]``: the peers
    suite's quick run is the SHD shape at batch 64 (``QUICK``), the scaling suite's the smoke
    run's tiny sizes (``SMOKE``)."""
    from core.bench.scaling import FACTORS
    from core.bench.suite import QUICK, SMOKE
    from core.bench.workload import PeerConfig

    if suite not in SUITES:
        raise ValueError(f"No benchmark suite {suite!r}: pick peers or scaling.")
    flags = " --quick" * quick
    if suite == "peers":
        return Plan("peers", asdict(PeerConfig()), tuple(QUICK["batches"] if quick else (256, 64)),
                    repeats=QUICK["repeats"] if quick else 7,
                    warmup=QUICK["warmup"] if quick else 2, memory=memory,
                    command=f"python -m core bench --suite peers{flags}"
                            f"{'' if memory else ' --no-memory'} --json")
    cfg = PeerConfig()
    if quick:
        sizes = {k: SMOKE[k] for k in ("steps", "inputs", "hidden", "outputs", "density")}
        cfg = PeerConfig(batch=SMOKE["batches"][0], **sizes)
    return Plan("scaling", asdict(cfg), factors=(0.5, 1.0, 2.0) if quick else FACTORS,
                repeats=1 if quick else 3, warmup=1,
                command=f"python -m core bench --suite scaling{flags} --json")


def _progress(plan_: Plan, stop: Any, report: Callable[[Any], None]) -> Callable[[str], None]:
    """The suite's progress callback: counts its messages and raises ``Stopped`` on request."""
    done = [0]

    def progress(message: str) -> None:
        if stop is not None and stop.is_set():
            raise Stopped
        if not message.startswith("missing:"):
            done[0] += 1
        report((message, Count(min(done[0], plan_.units), plan_.units, "parts")))

    return progress


def run_plan(plan_: Plan, db: str | None, *, stop: Any = None,
             report: Callable[[Any], None] = lambda item: None) -> int | None:
    """Run the suite, save its result in the run store at ``db``; the run id, or None when
    stopped (a stopped suite saves nothing). Reports ``(message, Count)``."""
    from core.bench.scaling import run_scaling
    from core.bench.suite import run_peers
    from core.bench.workload import PeerConfig

    cfg = PeerConfig(**plan_.config)
    progress = _progress(plan_, stop, report)
    start = time.monotonic()
    try:
        if plan_.suite == "peers":
            result = run_peers(cfg, plan_.batches, plan_.repeats, plan_.warmup, plan_.memory,
                               progress)
        else:
            result = run_scaling(cfg, plan_.factors, plan_.repeats, plan_.warmup, progress)
    except Stopped:
        return None
    source = {"command": plan_.command, "seconds": time.monotonic() - start,
              "revision": git_revision(),
              "plan": asdict(plan_), "from": "the Benchmarks page"}
    return save_result(RunStore(db), result, source)


# --- the data of the figures ------------------------------------------------------------


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


def targets(result: Mapping[str, Any]) -> list[Target]:
    """Issue 15's targets (``TARGETS``) at every measured batch, from the result's figures."""
    labels = {r["name"]: str(r.get("label") or r["name"]) for r in result["results"]}
    batches = sorted({int(r["batch"]) for r in result["results"]}, reverse=True)
    out = []
    for key, goal, threshold, at_least in TARGETS:
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
