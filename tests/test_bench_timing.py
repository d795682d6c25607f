"""The benchmarks' one timing loop (``core.bench.timing``) driven by a fake clock, and the
layer rule that keeps benchmarks out of the engine.

No test reads the real clock: each fake step advances a hand-made clock by a known amount.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.bench.timing import median_ms, round_robin, timed

ROOT = Path(__file__).resolve().parents[1]


class FakeClock:
    """A clock that moves only when a step says so, and a log of which step ran."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[str] = []

    def __call__(self) -> float:
        return self.now

    def step(self, name: str, costs: list[float]) -> object:
        """A function that takes ``costs[i]`` seconds on its i-th call and returns i."""
        count = [0]

        def fn() -> int:
            i = count[0]
            self.calls.append(name)
            self.now += costs[i]
            count[0] += 1
            return i

        return fn


def test_rounds_rotate_the_order_after_the_warm_up():
    clock = FakeClock()
    fns = {n: clock.step(n, [1.0] * 10) for n in "abc"}
    heard: list[str] = []
    round_robin(fns, 2, 4, heard.append, clock=clock)
    warm_up, rounds = clock.calls[:6], clock.calls[6:]
    assert warm_up == ["a", "a", "b", "b", "c", "c"]
    assert rounds == list("abc" "bca" "cab" "abc")
    assert heard == ["round 1/4", "round 2/4", "round 3/4", "round 4/4"]


def test_each_time_is_the_median_of_its_rounds_and_warm_up_is_not_timed():
    clock = FakeClock()
    # one warm-up call (cost 100, not timed), then rounds costing 5, 1, 3 (a) and 2, 9, 4 (b)
    fns = {"a": clock.step("a", [100.0, 5.0, 1.0, 3.0]),
           "b": clock.step("b", [100.0, 2.0, 9.0, 4.0])}
    medians, first = round_robin(fns, 1, 3, clock=clock)
    assert medians == {"a": pytest.approx(3.0), "b": pytest.approx(4.0)}
    assert first == {"a": 0, "b": 0}  # what each function's first call returned


def test_one_function_is_the_median_of_its_repeats_in_ms():
    clock = FakeClock()
    fn = clock.step("f", [7.0, 0.002, 0.004, 0.001, 0.010, 0.003])
    assert median_ms(fn, 5, clock=clock) == pytest.approx(3.0)
    assert clock.calls == ["f"] * 6


def test_timed_returns_the_result_and_the_seconds():
    clock = FakeClock()
    result, seconds = timed(clock.step("f", [2.5]), clock)
    assert result == 0 and seconds == pytest.approx(2.5)


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module name ``path`` imports, relative imports resolved to absolute names."""
    package = list(path.relative_to(root).parent.parts)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_import_reader_sees_absolute_and_relative_imports(tmp_path):
    module = tmp_path / "core" / "engine" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text("import core.bench.timing\nfrom .. import bench\n"
                      "from ..bench.peak import probe\nfrom . import fast\n")
    names = _imports(module, tmp_path)
    assert "core.engine.fast" in names
    assert {"core.bench.timing", "core.bench", "core.bench.peak"} <= names


def test_nothing_in_the_engine_imports_a_benchmark():
    files = sorted((ROOT / "core" / "engine").rglob("*.py"))
    assert files, "core/engine has no modules"
    offenders = {str(f.relative_to(ROOT)): sorted(n for n in _imports(f)
                                                   if n == "core.bench"
                                                   or n.startswith("core.bench."))
                 for f in files}
    assert {f: n for f, n in offenders.items() if n} == {}
    assert not (ROOT / "core" / "engine" / "bench.py").exists()
