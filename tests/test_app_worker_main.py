"""A job's worker never runs the app script (issue 25, item 6: the terminal of ``make run``
filled with "Exception in thread spikelab-forkserver ... RuntimeError" and "missing
ScriptRunContext" warnings). Streamlit installs the script as ``__main__``; multiprocessing
tells a worker to import ``__main__`` again, and a worker that imported app/main.py ran the
whole app. The script names itself so that multiprocessing never re-imports it."""

from __future__ import annotations

import multiprocessing.spawn
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.jobs import Job

MAIN = Path(__file__).resolve().parents[1] / "app" / "main.py"


def main_module_name(*, stop, report) -> str:
    """The worker's view: which module it holds as ``__main__``."""
    return str(getattr(sys.modules["__main__"], "__file__", None))


def test_a_job_started_while_the_app_script_is_main_does_not_import_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])  # put back after
    app = AppTest.from_file(str(MAIN), default_timeout=120).run()
    assert not app.exception
    script = sys.modules["__main__"]  # as in a Streamlit server between two reruns
    assert Path(script.__file__) == MAIN
    data = multiprocessing.spawn.get_preparation_data("job")
    assert "init_main_from_path" not in data
    assert data["init_main_from_name"].endswith(".__main__")  # never re-imported
    job = Job(main_module_name, name="probe")
    assert job.join(60)
    snap = job.snapshot()
    assert snap.state == "done" and snap.result != str(MAIN)
