"""Shared fixtures: a real ``streamlit run app/main.py`` server on a free localhost port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# The suite runs many processes on few cores: idle OpenMP threads sleep instead of spinning
# (set before any test imports torch; subprocesses inherit it). See core/__init__.py.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Many tests start jobs in this one process; the server-wide job limit (core/limits.py) is
# tested on its own (tests/test_hostile_server.py sets it), not met by accident here.
os.environ.setdefault("SPIKELAB_MAX_JOBS", "64")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(home: Path, extra_env: dict[str, str]) -> Iterator[str]:
    """Run ``streamlit run app/main.py`` on a free localhost port; yield its base URL."""
    port = _free_port()
    env = {**os.environ, "SPIKELAB_DB": str(home / "spikelab.db"),
           "SPIKELAB_DATA": str(home / "data"), **extra_env}
    log = open(home / "streamlit.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"streamlit did not start: {(home / 'streamlit.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the app as a user would and yield its base URL; stop it afterwards."""
    yield from _serve(tmp_path_factory.mktemp("spikelab-home"), {})


@pytest.fixture(scope="session")
def network_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app in network mode (as started with ``--server.address 0.0.0.0``, see
    ``core/limits.py``) but listening on localhost only: visitors' limits, loopback traffic."""
    yield from _serve(tmp_path_factory.mktemp("spikelab-net"), {"SPIKELAB_NETWORK": "1"})


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def peers() -> dict:
    """The Benchmarks tests' real peers result at tiny sizes (``tests.support``)."""
    from tests.support import tiny_bench_results  # torch only after the OpenMP setting above

    return tiny_bench_results()[0]


@pytest.fixture(scope="module")
def scaling() -> dict:
    """The Benchmarks tests' real scaling result at tiny sizes (``tests.support``)."""
    from tests.support import tiny_bench_results

    return tiny_bench_results()[1]
