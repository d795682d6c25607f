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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from inapp_timing import start_app  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WHO = {"streamlit": "server", "chromium": "browsers", "core train": "job"}
# Installed in every page before Streamlit loads: the time of each key press, of each message
# from the server, and of each change of the membrane chart's data (checked every 20 ms), all
# on the page's own clock. The script reads them after a round; it does not poll the pages.
PROBE = """
window.__key = 0; window.__ws = []; window.__changes = []; let seen = null;
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener('message', () => window.__ws.push(performance.now()));
  return ws;
};
Object.assign(window.WebSocket, Native); window.WebSocket.prototype = Native.prototype;
document.addEventListener('keydown', () => { window.__key = performance.now(); }, true);
setInterval(() => {
  const plot = document.querySelector('.js-plotly-plot');
  const trace = plot && plot._fullData && plot._fullData.find(t => t.name === 'U (A)');
  const now = trace ? Array.from(trace.y.slice(0, 400)).join(',') : null;
  if (now !== null && now !== seen) { window.__changes.push(performance.now()); seen = now; }
}, 20);
"""
ROUND = """() => {
  const after = window.__changes.filter(t => t > window.__key);
  if (!after.length) return null;
  const frames = window.__ws.filter(t => t > window.__key && t <= after[0]);
  return [after[0] - window.__key, frames.length ? frames[frames.length - 1] - window.__key : 0];
}"""


def cpu_seconds(match: str) -> float:
    """CPU seconds (user + system) used so far by every process whose command line has
    ``match``: where the time of a round goes (the server, the browsers, the job)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_text().replace("\0", " ")
            if proc.name.isdigit() and match in command:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total


def start_network_app(home: Path) -> tuple[subprocess.Popen, str]:
    """The app in network mode on localhost, with its own run store and data cache."""
    return start_app(home, {"SPIKELAB_DATA": str(home / "data"), "SPIKELAB_NETWORK": "1"})


def start_job(home: Path) -> subprocess.Popen:
    """A long training run on digits in the background (stopped at the end)."""
    env = {**os.environ, "SPIKELAB_DB": str(home / "app.db")}
    return subprocess.Popen([sys.executable, "-m", "core", "train", "--epochs", "500"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def open_sessions(browser: Any, url: str, count: int) -> list[Any]:
    """``count`` pages, each in a browser context of its own (a separate Streamlit session)."""
    pages = []
    for _ in range(count):
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        page.add_init_script(PROBE)
        page.goto(f"{url}/neurons")
        pages.append(page)
    for page in pages:
        page.wait_for_function("window.__changes.length > 0", timeout=120_000)
        slider = page.locator('[data-testid="stSlider"]').filter(has_text="Threshold θ").first
        slider.get_by_role("slider").focus()
    return pages


def one_round(pages: list[Any], key: str, timeout: float = 60.0) -> list[tuple[float, float]]:
    """Press ``key`` on every page's focused slider; for each page, seconds from its key press
    until its chart changed and until the server's last message before that."""
    for page in pages:
        page.keyboard.press(key)
    found: list[Any] = [None] * len(pages)
    deadline = time.monotonic() + timeout
    while any(v is None for v in found) and time.monotonic() < deadline:
        time.sleep(0.5)
        found = [v if v is not None else page.evaluate(ROUND)
                 for v, page in zip(found, pages, strict=True)]
    return [(timeout, timeout) if v is None else (v[0] / 1e3, v[1] / 1e3) for v in found]


def browser_path(folder: Path, nice: int) -> str:
    """Chromium, at a lower CPU priority when ``nice`` > 0 (the visitors' own laptops would
    draw their charts; here the browsers share the server's cores)."""
    if nice <= 0:
        return "/usr/bin/chromium"
    wrapper = folder / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {nice} /usr/bin/chromium "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--no-job", action="store_true", help="no training run in the background")
    parser.add_argument("--nice", type=int, default=0,
                        help="run the browsers at this nice level (0: the same as the server)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        app, url = start_network_app(home)
        job = None if args.no_job else start_job(home)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=browser_path(home, args.nice),
                                            args=CHROMIUM_ARGS, headless=True)
                pages = open_sessions(browser, url, args.sessions)
                times: list[tuple[float, float]] = []
                before = {k: cpu_seconds(k) for k in WHO}
                for r in range(args.rounds):
                    times += one_round(pages, "ArrowRight" if r % 2 == 0 else "ArrowLeft")
                    time.sleep(1.0)
                used = {k: (cpu_seconds(k) - before[k]) / args.rounds for k in WHO}
                browser.close()
        finally:
            for proc in (job, app):
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)
    print(f"{args.sessions} sessions x {args.rounds} rounds, training job: {job is not None}, "
          f"browsers at nice {args.nice}")
    for i, what in enumerate(("slider change to new chart", "slider change to server's reply")):
        values = np.array([t[i] for t in times])
        print(f"{what}: median {np.median(values):.2f} s, "
              f"p95 {np.percentile(values, 95):.2f} s, max {values.max():.2f} s")
    print("CPU seconds per round: " + ", ".join(f"{WHO[k]} {v:.2f}" for k, v in used.items()))


if __name__ == "__main__":
    main()
