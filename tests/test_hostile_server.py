"""Issue 22, the server's share: limits for all sessions together, a damaged run store, deep
JSON, the pickle refusal's wording and workers that never re-run the page script.

Each case failed before the fix: a third job ran beside two, memory was checked against 80 % of
the machine alone, the store grew without bound, one bad row hid every run (a traceback in the
CLI), a file nested 10,000 deep raised RecursionError, the pickle refusal advised
``weights_only=False`` and every worker imported ``app/main.py`` again.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from app.text import md
from core import free_memory as memory
from core.jobs import LIVE, Job, refusal
from core.limits import LIMITS, MAX_JOBS_ENV
from core.store import RunStore
from core.store import runs as store_runs
from tests.support import ROOT, isolate_store

DEEP = "[" * 10_000 + "]" * 10_000


def wait_for_stop(*, stop, report) -> str:
    """A job that holds its place until it is asked to stop."""
    report("waiting")
    stop.wait(60)
    return "stopped"


def quick(*, stop, report) -> int:
    return os.getpid()


def finish(*jobs: Job) -> None:
    for job in jobs:
        job.stop()
    for job in jobs:
        assert job.join(60), "a job did not end"


# --- defect 4: server-wide limits --------------------------------------------------------------


def test_a_job_beyond_the_server_limit_is_refused_with_one_line(monkeypatch):
    monkeypatch.setenv(MAX_JOBS_ENV, str(LIVE.count() + 2))
    limit = LIVE.count() + 2
    first, second = Job(wait_for_stop, name="a"), Job(wait_for_stop, name="b")
    try:
        third = Job(wait_for_stop, name="c")
        snap = third.snapshot()
        assert snap.state == "failed" and third.join(1)
        assert snap.error == refusal(limit, limit)
        assert f"{limit} jobs are running on this server, the limit is {limit}" in snap.error
        assert "\n" not in snap.error
    finally:
        finish(first, second)
    again = Job(quick)  # finished jobs no longer count
    assert again.join(60) and again.snapshot().state == "done"


def test_jobs_started_from_many_threads_never_pass_the_limit(monkeypatch):
    monkeypatch.setenv(MAX_JOBS_ENV, str(LIVE.count() + 2))
    jobs: list[Job] = []
    lock = threading.Lock()

    def start() -> None:
        job = Job(wait_for_stop)
        with lock:
            jobs.append(job)

    threads = [threading.Thread(target=start) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sum(j.snapshot().state == "running" for j in jobs) == 2
        assert sum(j.snapshot().state == "failed" for j in jobs) == 3
    finally:
        finish(*jobs)


def test_the_training_page_shows_the_refusal_as_one_message(tmp_path, monkeypatch):
    isolate_store(tmp_path, monkeypatch)
    monkeypatch.setenv(MAX_JOBS_ENV, str(LIVE.count() + 1))
    other = Job(wait_for_stop, name="another-session")
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "training.py"), default_timeout=60).run()
        at.button(key="tr_start").click().run()  # refused at once: shown in this run
    finally:
        finish(other)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "Training failed" in errors[0]
    assert md("the limit is") in errors[0]


def fake_meminfo(tmp_path: Path, monkeypatch, available_kb: int) -> None:
    path = tmp_path / "meminfo"
    path.write_text(f"MemTotal:       99999999 kB\nMemAvailable:   {available_kb} kB\n")
    monkeypatch.setattr(memory, "MEMINFO", path)


def test_memory_is_checked_against_what_is_free_now(tmp_path, monkeypatch):
    fake_meminfo(tmp_path, monkeypatch, 1_000_000)  # 1 GB free: other jobs hold the rest
    assert memory.usable_bytes() == 1_024_000_000
    memory.check_memory(900_000_000, "small", "lower it")
    with pytest.raises(ValueError, match="GB this machine can give now") as info:
        memory.check_memory(2 * 10**9, "two GB", "lower it")
    assert "1.0 GB" in str(info.value) and "\n" not in str(info.value)


def test_training_memory_uses_the_free_memory_too(tmp_path, monkeypatch):
    from core.training import default_config
    from core.training.memory import check_fits, needed_bytes

    config = default_config("digits")
    need = needed_bytes(config, 64, 10)
    fake_meminfo(tmp_path, monkeypatch, need // 1024 - 1)
    with pytest.raises(ValueError, match="GB of memory"):
        check_fits(config, 64, 10)


def test_memory_falls_back_to_the_machine_without_proc(tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "MEMINFO", tmp_path / "missing")
    assert memory.usable_bytes() == int(memory.USABLE * memory.machine_bytes())


def small_limits(monkeypatch, **fields: int) -> None:
    monkeypatch.setattr(store_runs, "LIMITS", dataclasses.replace(LIMITS, **fields))


def test_the_run_store_refuses_to_grow_past_its_quota(tmp_path, monkeypatch):
    small_limits(monkeypatch, store_quota_mb=1)
    store = RunStore(tmp_path / "runs.db")
    kept = store.save_run("surrogate", {"hidden": 1}, weights={"w": torch.zeros(10)})
    big = {"w": torch.zeros(400_000)}  # 1.6 MB
    with pytest.raises(ValueError, match="limit of 1 MB") as info:
        store.save_run("surrogate", {"hidden": 2}, weights=big)
    assert "delete runs" in str(info.value) and "\n" not in str(info.value)
    assert [r.id for r in store.list_runs()] == [kept]  # nothing half-written


def test_deleting_runs_makes_room_again(tmp_path, monkeypatch):
    small_limits(monkeypatch, store_quota_mb=1)
    store = RunStore(tmp_path / "runs.db")
    first = store.save_run("surrogate", {}, weights={"w": torch.zeros(150_000)})  # 0.6 MB
    with pytest.raises(ValueError, match="limit of 1 MB"):
        store.save_run("surrogate", {}, weights={"w": torch.zeros(150_000)})
    store.delete_run(first)  # the file keeps its size; its pages are reused
    store.save_run("surrogate", {}, weights={"w": torch.zeros(150_000)})


def test_a_stored_upload_past_its_limit_is_refused(monkeypatch):
    from core.store import check_upload

    small_limits(monkeypatch, stored_upload_mb=1)
    check_upload(1 << 20, "net.nir")
    with pytest.raises(ValueError, match="more than the 1 MB"):
        check_upload((1 << 20) + 1, "net.nir")


def test_a_large_benchmark_file_is_refused_not_stored(tmp_path, monkeypatch, peers):
    from core.bench.results import parse_result

    padded = {**peers, "padding": "x" * (LIMITS.bench_json_mb << 20)}
    with pytest.raises(ValueError, match=f"more than the {LIMITS.bench_json_mb} MB"):
        parse_result(json.dumps(padded).encode())
    at = upload_to_benchmarks(tmp_path, monkeypatch, json.dumps(padded).encode())
    assert md(f"more than the {LIMITS.bench_json_mb} MB") in at.error[0].value
    assert not RunStore(tmp_path / "runs.db").list_runs()


# --- defect 9: one bad row hides nothing else ---------------------------------------------------


def damaged_store(db: Path) -> tuple[list[int], list[int]]:
    """Four surrogate runs; the second's configuration is not JSON, the third's nests 10,000
    deep. (the good ids, newest first; the damaged ids, newest first)."""
    store = RunStore(db)
    weights = {"w1": torch.zeros(64, 20), "w2": torch.zeros(20, 10)}
    ids = [store.save_run("surrogate", {"dataset": "digits", "steps": 10}, weights=weights,
                          metrics={"spikes_per_layer": [80, 30]}, name=f"run {i}")
           for i in range(4)]
    with sqlite3.connect(db) as con:
        con.execute("UPDATE runs SET config = ? WHERE id = ?", ("{not json", ids[1]))
        con.execute("UPDATE runs SET history = ? WHERE id = ?", (DEEP, ids[2]))
    return [ids[3], ids[0]], [ids[2], ids[1]]


def test_the_store_skips_unreadable_rows_and_names_them(tmp_path):
    good, bad = damaged_store(tmp_path / "runs.db")
    runs = RunStore(tmp_path / "runs.db").list_runs()
    assert [r.id for r in runs] == good and runs.skipped == tuple(bad)
    with pytest.raises(ValueError, match="cannot be read"):
        RunStore(tmp_path / "runs.db").get_run(bad[0])


def test_runs_json_lists_the_readable_runs_and_notes_the_rest(tmp_path):
    good, bad = damaged_store(tmp_path / "runs.db")
    done = subprocess.run([sys.executable, "-m", "core", "runs", "--json", "--db",
                           str(tmp_path / "runs.db")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r["id"] for r in result["runs"]] == good and result["skipped"] == bad
    notes = [line for line in done.stderr.splitlines() if line.startswith("note: skipped")]
    assert len(notes) == 1 and all(str(i) in notes[0] for i in bad)


def captions(at: AppTest) -> str:
    return " ".join(str(c.value) for c in at.caption)


def test_the_training_page_shows_the_other_runs_and_names_the_skipped(tmp_path, monkeypatch):
    db = isolate_store(tmp_path, monkeypatch)
    good, bad = damaged_store(db)
    at = AppTest.from_file(str(ROOT / "pages" / "training.py"), default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert f"Skipped run(s) {bad[0]}, {bad[1]}" in captions(at)
    assert at.dataframe[0].value["id"].tolist() == good


def test_the_hardware_page_shows_the_other_runs_and_names_the_skipped(tmp_path, monkeypatch):
    db = isolate_store(tmp_path, monkeypatch)
    good, bad = damaged_store(db)
    at = AppTest.from_file(str(ROOT / "pages" / "hardware.py"), default_timeout=60).run()
    at.radio(key="hw_source").set_value("A saved run").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert f"Skipped run(s) {bad[0]}, {bad[1]}" in captions(at)
    assert [o.split(" ")[0] for o in at.selectbox(key="hw_run").options] == [f"#{i}"
                                                                              for i in good]


# --- defect 8: JSON nested 10,000 deep ----------------------------------------------------------


def test_deep_json_is_refused_before_parsing():
    from core.bench.results import parse_result
    from core.store.safe_json import loads, nesting

    assert nesting('{"a": "[[[[", "b": [[1]]}') == 3  # brackets in strings do not count
    with pytest.raises(ValueError, match=f"more than {LIMITS.json_depth} levels"):
        loads(DEEP)
    with pytest.raises(ValueError, match=f"more than {LIMITS.json_depth} levels"):
        parse_result(DEEP.encode())
    assert loads("[" * LIMITS.json_depth + "]" * LIMITS.json_depth) is not None


def upload_to_benchmarks(tmp_path: Path, monkeypatch, data: bytes) -> AppTest:
    isolate_store(tmp_path, monkeypatch)
    at = AppTest.from_file(str(ROOT / "pages" / "benchmarks.py"), default_timeout=60).run()
    at.file_uploader(key="bn_file").set_value(("result.json", data, "application/json")).run()
    assert not at.exception
    return at


def test_deep_json_uploaded_on_the_benchmarks_page_is_one_error(tmp_path, monkeypatch):
    at = upload_to_benchmarks(tmp_path, monkeypatch, DEEP.encode())
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and md(f"more than {LIMITS.json_depth} levels") in errors[0]


# --- defect 5 (Benchmarks): a stored file's strings never become Markdown ----------------------


def test_a_benchmark_files_strings_are_escaped(tmp_path, monkeypatch, peers):
    pixel = "![p](http://127.0.0.1:9/pixel.png) [Click to re-login](http://127.0.0.1:9/)"
    hostile = {**peers, "cpu": pixel, "missing": ["evil"], "missing_reasons": {"evil": pixel}}
    at = upload_to_benchmarks(tmp_path, monkeypatch, json.dumps(hostile).encode())
    assert not at.error, [e.value for e in at.error]
    shown = " ".join(str(e.value) for e in [*at.caption, *at.warning, *at.markdown, *at.info])
    assert f"Measured on **{md(pixel)}**" in shown
    assert pixel not in shown and "](http" not in shown


# --- defect 11: the pickle refusal, workers and the page script -------------------------------


def test_the_pickle_refusal_never_advises_weights_only_false(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    store = RunStore(tmp_path / "runs.db")
    run_id = store.save_run("surrogate", {}, weights={"w": torch.zeros(1)})
    buffer = io.BytesIO()
    torch.save({"w": Evil()}, buffer)
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE runs SET weights = ? WHERE id = ?", (buffer.getvalue(), run_id))
    with pytest.raises(ValueError, match="not plain tensors") as info:
        store.get_run(run_id).load_weights()
    assert "weights_only" not in str(info.value) and "\n" not in str(info.value)


def test_a_worker_never_imports_the_script_that_started_it(tmp_path, monkeypatch):
    """Under Streamlit ``__main__`` is the page script: a worker must not run it again."""
    marker = tmp_path / "imported"
    script = tmp_path / "page_script.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('the script ran')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    job = Job(quick)
    assert job.join(60) and job.snapshot().state == "done"
    assert sys.modules["__main__"] is page  # put back after the start
    assert not marker.exists(), "the worker imported the page script"


def test_the_cli_turns_any_recursion_error_into_one_line(monkeypatch, capsys):
    """A last guard: whatever nests too deep (a JSON file, a graph), never a traceback."""
    import argparse

    import core.cli as cli

    def nested(args: argparse.Namespace) -> dict:
        raise RecursionError("maximum recursion depth exceeded")

    parsed = argparse.Namespace(func=nested, json=True)
    monkeypatch.setattr(cli, "build_parser", lambda: types.SimpleNamespace(
        parse_args=lambda argv: parsed))
    monkeypatch.delenv("SPIKELAB_DEBUG", raising=False)
    assert cli.main([]) == 2
    assert capsys.readouterr().err.strip() == "error: the input is nested too deeply to be read."
