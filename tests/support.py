"""Helpers shared by the tests: the real data files, and driving a page's background job."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.bench.scaling import run_scaling
from core.bench.suite import run_peers
from core.bench.workload import PeerConfig
from core.data import Dataset, load_dataset

ROOT = Path(__file__).resolve().parents[1]
# The real Tactile Braille Letters file, beside the checkout (tests only; the app downloads it).
BRAILLE = ROOT.parent / "shared" / "data" / "braille_letters_spiking.pkl.gz"
# The four official Fashion-MNIST files, beside the checkout (a valid --data-path).
FASHION = ROOT.parent / "shared" / "data" / "fashion-mnist"
# The four MNIST IDX files (gzip wrappers made there; the content is official), beside it too.
MNIST = ROOT.parent / "shared" / "data" / "mnist"


def fashion_subset(per_class_train: int, per_class_test: int) -> Dataset:
    """A stratified subset of the real Fashion-MNIST: the first samples of every class,
    interleaved class by class (no network)."""
    full = load_dataset("fashion-mnist", str(FASHION), download=False)
    x_tr, y_tr = _stratified(full.x_train, full.y_train, per_class_train)
    x_te, y_te = _stratified(full.x_test, full.y_test, per_class_test)
    return Dataset(full.name, full.kind, x_tr, y_tr, x_te, y_te, full.classes, full.source)


def _stratified(x: np.ndarray, y: np.ndarray, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    picks = np.stack([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)], axis=1)
    index = picks.reshape(-1)
    return x[index], y[index]


def isolate_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh run database and an empty data cache for one test (no downloads reach the
    network); returns the database's path."""
    db = tmp_path / "runs.db"
    monkeypatch.setenv("SPIKELAB_DB", str(db))
    monkeypatch.setenv("SPIKELAB_DATA", str(tmp_path / "empty-cache"))
    return db


def open_page(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """``pages/<name>`` run once against a run store of its own, checked for exceptions."""
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def wait_while_running(at: AppTest, job_key: str, limit: float = 60.0) -> None:
    """Rerun the page until its background job (``session_state[job_key]``) is gone."""
    start = time.monotonic()
    while job_key in at.session_state and time.monotonic() - start < limit:
        time.sleep(0.3)
        at.run()
    assert job_key not in at.session_state, f"the job {job_key!r} did not finish"



#: A tiny workload for the Benchmarks tests: real suite runs in a second or two.
BENCH_TINY = PeerConfig(batch=4, steps=5, inputs=10, hidden=8, outputs=3, density=0.2)


def tiny_bench_results() -> tuple[dict, dict]:
    """A real peers result (batches 4 and 2, no peak-memory processes) and a real scaling
    result at ``BENCH_TINY`` (the fast engine's sweeps and the reference engine's in T), run
    once per test session; each caller gets its own copy."""
    return copy.deepcopy(_tiny_bench_results())


@cache
def _tiny_bench_results() -> tuple[dict, dict]:
    def quiet(message: str) -> None:
        pass

    return (run_peers(BENCH_TINY, (4, 2), 1, 1, False, quiet),
            run_scaling(BENCH_TINY, (0.5, 1.0), 1, 1, quiet))


def single_thread() -> Iterator[None]:
    """Generator for an autouse fixture: torch on one thread while a test runs.

    Tiny convolutions are fastest on one thread, and on a busy two-core machine much faster.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
