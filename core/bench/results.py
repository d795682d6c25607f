"""The benchmark results a lab meeting looks at: the last peers, conv and scaling suites, kept
in the run store, and the data of their curves; how a result reads (table, targets, verdicts) is
``core.bench.verdicts``.

A result is the JSON object ``python -m core bench --suite peers|conv|scaling --json`` prints. It
is saved in the run store (``core.store``, the SQLite file every run of the app shares) as a run
of kind ``bench-peers``, ``bench-conv`` or ``bench-scaling``: the result itself as the run's
metrics, and where it came from (the command, the SpikeLab git revision, the CPU, the wall time)
as its configuration, so it survives an app restart and is shown without re-running.
``run_plan`` is the work the Benchmarks page runs in a background job (``core.jobs``): the same
suites, sizes and defaults as the command line.

The peers table and issue 15's targets are computed in ``core.bench.verdicts`` (the conv suite's
table, issue 23's targets and how long it takes in ``core.bench.conv_verdicts``) and drawn by
``app/figures/benchmarks.py``; the scaling curves live in ``core.bench.curves``.
Anything read back, from the store or from a file, is checked first (``check_result``): a
corrupt or foreign file gives one sentence (a ``ValueError``), never a traceback. A file is
refused before parsing when it is larger than ``LIMITS.bench_json_mb`` (a real result is a few
kB) or nests deeper than ``LIMITS.json_depth``. Its strings are a stranger's text: pages escape
them before they reach Markdown.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.checks import is_finite
from core.limits import LIMITS, MB
from core.progress import Count, Step
from core.store import RunStore
from core.store.safe_json import loads

SUITES: tuple[str, ...] = ("peers", "conv", "scaling")
KINDS: dict[str, str] = {suite: f"bench-{suite}" for suite in SUITES}
ROOT = Path(__file__).resolve().parents[2]
QUANTITY_LABELS = {"steps": "time steps T", "hidden": "hidden size", "batch": "batch",
                   "density": "input density"}


class Stopped(Exception):
    """Raised inside a suite's progress callback when its job was asked to stop."""


# --- checking a result ------------------------------------------------------------------


def number(value: Any, what: str, positive: bool = False) -> float:
    """``value`` as a float; ValueError naming ``what`` unless it is finite (and positive)."""
    if not is_finite(value):
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


def _check_conv(result: Mapping[str, Any]) -> None:
    _check_peers(result)
    for i, row in enumerate(result["results"]):
        if not isinstance(row.get("variant"), str):
            raise ValueError(f"result {i + 1} names no variant (tutorial, matched, ...).")
        number(row.get("step1_loss"), f"the step-1 loss of result {i + 1}")
    _mapping(result, "fastest_peer_matched")
    if not isinstance(result.get("config") or {}, Mapping):
        raise ValueError("its 'config' entry is not an object.")


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
    """The suite of a benchmark result (``"peers"``, ``"conv"`` or ``"scaling"``) after checking
    its shape; ValueError, in one sentence, when it is not one (or not the ``suite`` asked
    for)."""
    if not isinstance(result, Mapping):
        raise ValueError("This is not a SpikeLab benchmark result: it is not a JSON object.")
    found = result.get("suite")
    if found not in SUITES:
        raise ValueError("This is not a SpikeLab benchmark result: it names no peers or "
                         "scaling suite, nor the conv suite (expected the output of `python -m "
                         "core bench --suite peers --json`, `--suite conv --json` or `--suite "
                         "scaling --json`).")
    if suite is not None and found != suite:
        raise ValueError(f"This is a {found} result, not a {suite} result.")
    try:
        CHECKS[found](result)
    except ValueError as exc:
        raise ValueError(f"This {found} result cannot be shown: {exc}") from None
    return str(found)


CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "peers": _check_peers, "conv": _check_conv, "scaling": _check_scaling}


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
    config: Mapping[str, Any]  # PeerConfig fields; conv: {"time_steps": T}
    batches: tuple[int, ...] = ()  # peers, conv
    factors: tuple[float, ...] = ()  # scaling
    repeats: int = 1
    warmup: int = 1
    memory: bool = False  # peers: peak memory, one fresh process per implementation
    command: str = ""

    @property
    def units(self) -> int:
        """Progress messages the suite sends: per batch (or sweep) one build, the rounds, and
        the peak-memory pass."""
        parts = len(SWEPT) if self.suite == "scaling" else len(self.batches)
        return parts * (1 + self.repeats + (self.memory and self.suite == "peers"))


SWEPT = tuple(QUANTITY_LABELS)  # core.bench.scaling.QUANTITIES, without importing torch


def plan(suite: str, quick: bool = True, memory: bool = True) -> Plan:
    """The plan of ``python -m core bench --suite SUITE [--quick] [--no-memory]``: the peers
    suite's quick run is the SHD shape at batch 64 (``QUICK``), the scaling suite's the smoke
    run's tiny sizes (``SMOKE``)."""
    from core.bench.scaling import FACTORS
    from core.bench.suite import QUICK, SMOKE
    from core.bench.workload import PeerConfig

    if suite not in ("peers", "scaling"):
        raise ValueError(f"No benchmark suite {suite!r}: pick peers or scaling (the conv "
                         "suite's plan is conv_plan).")
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


#: The most rounds the page's conv suite may ask for (the command line allows more).
MAX_CONV_REPEATS = 20


def conv_plan(quick: bool, batches: Sequence[int] = (128, 64), repeats: int = 5) -> Plan:
    """The plan of ``python -m core bench --suite conv``: ``--quick`` (tiny sizes, one round:
    a smoke run; ``batches`` and ``repeats`` unused), else T = 4 at ``batches`` (largest first,
    each once) with ``repeats`` rounds after the suite's warm-up; ValueError in one sentence."""
    from core.bench.conv import FULL, QUICK

    if quick:
        return Plan("conv", {"time_steps": QUICK["steps"]}, tuple(QUICK["batches"]),
                    repeats=QUICK["repeats"], warmup=QUICK["warmup"],
                    command="python -m core bench --suite conv --quick --json")
    chosen = tuple(sorted({int(b) for b in batches}, reverse=True))
    if not chosen or chosen[-1] < 1:
        raise ValueError("Pick at least one batch size (of at least 1) for the conv suite.")
    if not 1 <= repeats <= MAX_CONV_REPEATS:
        raise ValueError(f"The conv suite's rounds must be 1 to {MAX_CONV_REPEATS} (got "
                         f"{repeats}).")
    flags = f" --batches {','.join(map(str, chosen))}" * (chosen != (128, 64))
    flags += f" --repeats {repeats}" * (repeats != FULL["repeats"])
    return Plan("conv", {"time_steps": FULL["steps"]}, chosen, repeats=repeats,
                warmup=FULL["warmup"], command=f"python -m core bench --suite conv{flags} --json")


def _progress(plan_: Plan, stop: Any, report: Callable[[Any], None]) -> Callable[[str], None]:
    """The suite's progress callback: counts its messages and raises ``Stopped`` on request."""
    done = [0]

    def progress(message: str) -> None:
        if stop is not None and stop.is_set():
            raise Stopped
        if not message.startswith("missing:"):
            done[0] += 1
        report(Step(message, Count(min(done[0], plan_.units), plan_.units, "parts")))

    return progress


def run_plan(plan_: Plan, db: str | None, *, stop: Any = None,
             report: Callable[[Any], None] = lambda item: None) -> int | None:
    """Run the suite, save its result in the run store at ``db``; the run id, or None when
    stopped (a stopped suite saves nothing). Reports ``Step(message, Count)``."""
    progress = _progress(plan_, stop, report)
    start = time.monotonic()
    try:
        result = _run(plan_, progress)
    except Stopped:
        return None
    source = {"command": plan_.command, "seconds": time.monotonic() - start,
              "revision": git_revision(),
              "plan": asdict(plan_), "from": "the Benchmarks page"}
    return save_result(RunStore(db), result, source)


def _run(plan_: Plan, progress: Callable[[str], None]) -> dict[str, Any]:
    """The suite's result (the JSON object the command line prints)."""
    if plan_.suite == "conv":
        from core.bench.conv import run_conv

        return run_conv(plan_.batches, int(plan_.config["time_steps"]), plan_.repeats,
                        plan_.warmup, progress)
    from core.bench.scaling import run_scaling
    from core.bench.suite import run_peers
    from core.bench.workload import PeerConfig

    cfg = PeerConfig(**plan_.config)
    if plan_.suite == "peers":
        return run_peers(cfg, plan_.batches, plan_.repeats, plan_.warmup, plan_.memory, progress)
    return run_scaling(cfg, plan_.factors, plan_.repeats, plan_.warmup, progress)


# --- the data of the figures ------------------------------------------------------------
