"""Time a training run started from the Training page against the same run from the CLI.

Dev script, not a test (run it on a quiet machine; numbers on a busy one are noise):

    .venv/bin/python tools/inapp_timing.py                      # the default digits run
    .venv/bin/python tools/inapp_timing.py --dataset braille    # one Braille run (25 epochs)

It starts ``streamlit run app/main.py`` on a free port with a fresh run database, opens the
Training page in headless Chromium, presses "Start training" with the data set's defaults and
waits until the finished run is shown; while the job runs it times a few page interactions
(switching the data set and waiting for the rerun to show that set's defaults). Then it runs
``python -m core train --dataset ... --json`` with the same configuration. It prints the run's
own seconds (as saved) and the wall time from click (or command) to result on both sides, and
their ratios (target: in-app / CLI <= 1.2).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.data.registry import DATASET_INFO  # noqa: E402
from core.store import RunStore  # noqa: E402
from core.training import default_config  # noqa: E402

BRAILLE = ROOT.parent / "shared" / "data" / "braille_letters_spiking.pkl.gz"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(home: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``streamlit run app/main.py`` with its own run database (and ``extra_env``); its URL
    once healthy."""
    port = free_port()
    env = {**os.environ, "SPIKELAB_DB": str(home / "app.db"), **(extra_env or {})}
    log = open(home / "streamlit.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/main.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"streamlit did not start; see {home / 'streamlit.log'}")


def choose_dataset(page: Any, name: str) -> float:
    """Pick ``name`` in the Data set box; seconds until the rerun shows its default size."""
    hidden = str(default_config(name).hidden)
    start = time.monotonic()
    page.get_by_test_id("stSelectbox").filter(has_text="Data set").click()
    page.get_by_role("option", name=DATASET_INFO[name].title, exact=True).click()
    field = page.get_by_label("Hidden", exact=True)
    while field.input_value() != hidden:
        if time.monotonic() - start > 60:
            raise SystemExit(f"the page did not show {name}'s defaults within 60 s")
        time.sleep(0.02)
    return time.monotonic() - start


def enter(page: Any, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    page.wait_for_timeout(1500)  # let the rerun land before the next widget


def in_app(url: str, db: Path, dataset: str, epochs: int | None, interactions: int,
           watch: bool = True) -> dict[str, Any]:
    """Start the run from the Training page; wall time to the shown result, interaction times.

    ``watch=False`` leaves the page after the click (no live view) and waits for the saved run.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.goto(f"{url}/training")
        start_button = page.get_by_role("button", name="Start training")
        start_button.wait_for(timeout=120_000)
        if dataset != "digits":
            choose_dataset(page, dataset)
            enter(page, "Data path (optional)", str(BRAILLE))
        if epochs is not None:
            enter(page, "Epochs", str(epochs))
        start_button.click()
        clicked = time.monotonic()
        page.get_by_role("button", name="Stop", disabled=False).wait_for(timeout=60_000)
        other = "braille" if dataset == "digits" else "digits"
        times = [choose_dataset(page, (other, dataset)[i % 2]) for i in range(interactions)]
        if watch:  # poll from here: Playwright's own waiting polls in the page on every frame
            while not page.get_by_text("Test accuracy", exact=True).count():
                time.sleep(0.25)
        else:
            page.goto("about:blank")
            while not RunStore(db).list_runs(kind="surrogate"):
                time.sleep(0.2)
        wall = time.monotonic() - clicked
        browser.close()
    return {"wall_s": wall, "interaction_s": times}


def on_cli(home: Path, dataset: str, epochs: int | None) -> dict[str, Any]:
    """``python -m core train --json`` with the same configuration; its wall time and report."""
    cmd = [sys.executable, "-m", "core", "train", "--dataset", dataset, "--json"]
    if epochs is not None:
        cmd += ["--epochs", str(epochs)]
    if dataset != "digits":
        cmd += ["--data-path", str(BRAILLE)]
    env = {**os.environ, "SPIKELAB_DB": str(home / "cli.db")}
    start = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    return {"wall_s": wall, "report": json.loads(out.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("digits", "braille"), default="digits")
    parser.add_argument("--epochs", type=int, help="default: the data set's (Braille: 25, "
                        "about a minute)")
    parser.add_argument("--interactions", type=int, default=4,
                        help="page interactions timed while the job runs")
    parser.add_argument("--no-watch", action="store_true",
                        help="leave the page after the click (no live view) to see its cost")
    args = parser.parse_args()
    epochs = args.epochs if args.epochs or args.dataset == "digits" else 25
    with tempfile.TemporaryDirectory(prefix="spikelab-timing-") as tmp:
        home = Path(tmp)
        proc, url = start_app(home)
        try:
            app = in_app(url, home / "app.db", args.dataset, epochs, args.interactions,
                         not args.no_watch)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        (run,) = RunStore(home / "app.db").list_runs(kind="surrogate")
        cli = on_cli(home, args.dataset, epochs)
    result = {
        "dataset": args.dataset, "epochs": run.config["epochs"],
        "app_run_s": run.metrics["seconds"], "cli_run_s": cli["report"]["seconds"],
        "app_wall_s": app["wall_s"], "cli_wall_s": cli["wall_s"],
        "app_test_accuracy": run.metrics["test_accuracy"],
        "cli_test_accuracy": cli["report"]["test_accuracy"],
        "interaction_s": app["interaction_s"],
    }
    result["run_ratio"] = result["app_run_s"] / result["cli_run_s"]
    result["wall_ratio"] = result["app_wall_s"] / result["cli_wall_s"]
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v
                      for k, v in result.items()}, indent=1))


if __name__ == "__main__":
    main()
