"""Helpers shared by the tests: the real Braille file, and driving a page's background job."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
# The real Tactile Braille Letters file, beside the checkout (tests only; the app downloads it).
BRAILLE = ROOT.parent / "shared" / "data" / "braille_letters_spiking.pkl.gz"


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
