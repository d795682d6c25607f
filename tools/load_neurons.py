"""Many visitors on the Neuron dynamics page at once: how long a slider change takes to show.

Dev script, not a test (run it on a quiet machine; numbers on a busy one are noise):

    .venv/bin/python tools/load_neurons.py                  # 12 sessions, a training job running
    .venv/bin/python tools/load_neurons.py --sessions 1 --no-job

It starts ``streamlit run app/main.py`` in network mode on a free localhost port with a fresh
run store, optionally a training run in the background (``python -m core train``, as a job
started from a page would run), opens the page in ``--sessions`` separate browser sessions of
one headless Chromium, and then, round after round, moves neuron A's threshold slider one step
in every session at once and times each session from its key press until its membrane chart
shows the new trace. It prints the median and 95th percentile over all sessions and rounds
(issue 22's target: p95 <= 3 s for 12 sessions on 2 idle cores with one training job).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MEMBRANE = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  const trace = plot && plot._fullData && plot._fullData.find(t => t.name === 'U (A)');
  return trace ? Array.from(trace.y).slice(0, 400).join(',') : null;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(home: Path) -> tuple[subprocess.Popen, str]:
    """The app in network mode on localhost, with its own run store and data cache."""
    port = free_port()
    env = {**os.environ, "SPIKELAB_DB": str(home / "spikelab.db"),
           "SPIKELAB_DATA": str(home / "data"), "SPIKELAB_NETWORK": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=open(home / "app.log", "w"), stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the app did not start")


def start_job(home: Path) -> subprocess.Popen:
    """A long training run on digits in the background (stopped at the end)."""
    env = {**os.environ, "SPIKELAB_DB": str(home / "spikelab.db")}
    return subprocess.Popen([sys.executable, "-m", "core", "train", "--epochs", "500"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def open_sessions(browser: Any, url: str, count: int) -> list[Any]:
    """``count`` pages, each in a browser context of its own (a separate Streamlit session)."""
    pages = []
    for _ in range(count):
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        page.goto(f"{url}/neurons")
        pages.append(page)
    for page in pages:
        page.wait_for_function(f"({MEMBRANE})() !== null", timeout=120_000)
        slider = page.locator('[data-testid="stSlider"]').filter(has_text="Threshold θ").first
        slider.get_by_role("slider").focus()
    return pages


def one_round(pages: list[Any], key: str, timeout: float = 60.0) -> list[float]:
    """Press ``key`` on every page's focused slider; seconds until each chart changed."""
    before = [page.evaluate(MEMBRANE) for page in pages]
    pressed = []
    for page in pages:
        page.keyboard.press(key)
        pressed.append(time.monotonic())
    latency: list[float | None] = [None] * len(pages)
    deadline = time.monotonic() + timeout
    while any(v is None for v in latency) and time.monotonic() < deadline:
        for i, page in enumerate(pages):
            if latency[i] is None and page.evaluate(MEMBRANE) != before[i]:
                latency[i] = time.monotonic() - pressed[i]
        time.sleep(0.05)
    return [timeout if v is None else v for v in latency]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--no-job", action="store_true", help="no training run in the background")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        app, url = start_app(home)
        job = None if args.no_job else start_job(home)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=CHROMIUM_ARGS, headless=True)
                pages = open_sessions(browser, url, args.sessions)
                times: list[float] = []
                for r in range(args.rounds):
                    times += one_round(pages, "ArrowRight" if r % 2 == 0 else "ArrowLeft")
                    time.sleep(1.0)
                browser.close()
        finally:
            for proc in (job, app):
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)
    values = np.array(times)
    print(f"{args.sessions} sessions x {args.rounds} rounds, training job: {job is not None}")
    print(f"slider change to new chart: median {np.median(values):.2f} s, "
          f"p95 {np.percentile(values, 95):.2f} s, max {values.max():.2f} s")


if __name__ == "__main__":
    main()
