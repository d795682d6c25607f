"""A real distributed search: a PostgreSQL server on localhost and two worker processes.

The fixture starts its own server in a temporary folder with Debian's ``initdb``/``pg_ctl``
(``make test`` installs the ``postgresql`` package); as root it runs them as the ``postgres``
user, since PostgreSQL refuses to run as root. The workers are ``python -m core nas-worker``
with the tiny test recipe; the study must end with the trials of both, none lost or doubled,
and a worker killed mid-trial must leave the study usable (its trial is failed and retried).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest

from core.nas.study import SearchSpec, make_storage, open_study
from core.nas.summary import study_records
from tests.nas_support import tiny_cli

ROOT = Path(__file__).resolve().parents[1]


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or max(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), default="")
    if not found:
        pytest.fail(f"{name} not found: install Debian's postgresql package (make postgres).")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """Start a throw-away PostgreSQL server; yield the URL of an empty database."""
    root = os.geteuid() == 0
    # As root the server runs as "postgres", which must reach its folder: keep it in /tmp.
    base = Path(tempfile.mkdtemp(prefix="spikelab-pg-", dir="/tmp" if root else None))
    prefix: list[str] = []
    if root:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()
    ctl = [*prefix, _pg_tool("pg_ctl"), "-D", str(data)]
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        try:
            subprocess.run([*prefix, _pg_tool("initdb"), "-D", str(data), "-U", "spikelab",
                            "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], **run)
            options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
            subprocess.run([*ctl, "-o", options, "-l", str(base / "log"), "-w", "start"], **run)
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"PostgreSQL did not start: {exc.stderr or exc.stdout}")
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="spikelab", dbname="postgres",
                             autocommit=True) as con:
            con.execute("CREATE DATABASE nas")
        yield f"postgresql://spikelab@127.0.0.1:{port}/nas"
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def _worker(url: str, study: str, *args: str, db: Path, **overrides: object) -> subprocess.Popen:
    env = {**os.environ, "SPIKELAB_DB": str(db)}
    return subprocess.Popen(
        [sys.executable, "-c", tiny_cli(**overrides), "nas-worker", "--study", study,
         "--storage", url, "--threads", "1", "--json", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_workers_share_one_study(postgres_url, tmp_path):
    storage = make_storage(postgres_url)
    open_study(storage, "shared", SearchSpec("bayesian"))
    db = tmp_path / "runs.db"
    workers = [_worker(postgres_url, "shared", "--trials", "3", "--seed", str(s), db=db)
               for s in (1, 2)]
    outputs = [w.communicate(timeout=240) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=storage)
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    by_worker: dict[str, int] = {}
    for trial in trials:
        by_worker[trial.user_attrs["worker"]] = by_worker.get(trial.user_attrs["worker"], 0) + 1
    assert sorted(by_worker.values()) == [3, 3]  # the trials of both, none lost
    trained = [t for t in trials if "reused_from" not in t.user_attrs]
    run_ids = [t.user_attrs["run_id"] for t in trained]
    assert len(set(run_ids)) == len(trained)  # each trained trial saved once to the run store
    for t in trials:  # a repeat of a completed architecture reuses it (never trained twice)
        if "reused_from" in t.user_attrs:
            assert t.user_attrs["run_id"] == trials[t.user_attrs["reused_from"]].user_attrs[
                "run_id"]
    values = {r.number: r.val_accuracy for r in study_records(study)}
    listed: set[int] = set()
    for out, _ in outputs:  # each worker prints the study as it stood when it finished
        for trial in json.loads(out.strip().splitlines()[-1])["trials"]:
            if trial["state"] == "COMPLETE":
                assert trial["val_accuracy"] == values[trial["number"]]
                listed.add(trial["number"])
    assert listed == set(range(6))


def test_a_killed_worker_leaves_the_study_usable(postgres_url, tmp_path):
    storage = make_storage(postgres_url, heartbeat_s=1)
    study, _ = open_study(storage, "killed", SearchSpec("greedy"))
    db = tmp_path / "runs.db"
    slow = _worker(postgres_url, "killed", "--trials", "50", "--heartbeat", "1", db=db,
                   epochs=3, max_train_samples=1000)
    try:
        deadline, seen = time.monotonic() + 120, {}
        while True:  # kill it once one trial has been running for half a second
            running = study.get_trials(states=(optuna.trial.TrialState.RUNNING,))
            if running:
                since = seen.setdefault(running[0].number, time.monotonic())
                if time.monotonic() - since > 0.5:
                    break
            assert time.monotonic() < deadline and slow.poll() is None, slow.stderr.read()
            time.sleep(0.1)
    finally:
        slow.kill()
        slow.wait(30)
    killed = running[0].number
    assert study.get_trials()[killed].state == optuna.trial.TrialState.RUNNING
    time.sleep(4)  # past the grace period of 3 heartbeats
    rescue = _worker(postgres_url, "killed", "--trials", "1", "--heartbeat", "1", db=db)
    out, err = rescue.communicate(timeout=120)
    assert rescue.returncode == 0, err
    trials = study.get_trials()
    assert trials[killed].state == optuna.trial.TrialState.FAIL
    retry = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retry) == 1 and retry[0].state == optuna.trial.TrialState.COMPLETE
    assert retry[0].params == trials[killed].params  # the lost architecture is trained again
    result = json.loads(out.strip().splitlines()[-1])
    assert [t["state"] for t in result["trials"]].count("COMPLETE") == len(trials) - 1
