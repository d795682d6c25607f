"""Optuna study storages named by a URL: the one way the grid search and NAS open them.

A storage is an Optuna RDB URL: a SQLite file (``sqlite:////abs/path.db``) or a database
server (``postgresql://user:password@host/db``) that any number of machines share; a bare file
path means a SQLite file. The folder of a SQLite file is created when missing, and messages
never show a password. The defaults lie beside the run database: ``sweeps.db`` for grid
searches, ``nas.db`` for architecture searches (``default_storage(NAS_DB)``).
"""

from __future__ import annotations

import os
import socket
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from core.store.runs import default_db_path

SWEEPS_DB = "sweeps.db"
NAS_DB = "nas.db"
_SQLITE = "sqlite:///"


def default_storage(filename: str) -> str:
    """``sqlite:///`` URL of ``filename`` in the run database's folder."""
    return f"{_SQLITE}{default_db_path().with_name(filename)}"


def storage_url(text: str) -> str:
    """A storage URL; a bare file path becomes a SQLite URL."""
    text = text.strip()
    if not text:
        raise ValueError("Give a storage URL such as sqlite:///nas.db or postgresql://...")
    if "://" in text:
        return text
    return f"{_SQLITE}{Path(text).expanduser().resolve()}"


def mask_password(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url


def make_storage(url: str, heartbeat_s: float | None = None) -> RDBStorage:
    """The RDB storage at ``url``; ValueError (one sentence) when it cannot be used.

    With ``heartbeat_s`` running trials send a heartbeat; a trial silent for three intervals is
    marked failed by the next worker, which retries its parameters once.
    """
    url = storage_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith(_SQLITE):
        kwargs = {"connect_args": {"timeout": 60}}
        _make_folder(url)
    try:
        with warnings.catch_warnings():  # heartbeats are marked experimental in Optuna
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return RDBStorage(url, engine_kwargs=kwargs, **_heartbeat(heartbeat_s))
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy/driver errors of many kinds
        raise ValueError(
            f"Cannot open the study storage {mask_password(url)}: {first_line(exc)}"
        ) from exc


def _heartbeat(seconds: float | None) -> dict[str, Any]:
    """RDBStorage's heartbeat arguments: none, or an interval with a retry of stale trials."""
    if seconds is None:
        return {}
    return dict(
        heartbeat_interval=max(1, round(seconds)),
        grace_period=max(3, round(3 * seconds)),
        heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1),
    )


def _make_folder(url: str) -> None:
    path = Path(url.removeprefix(_SQLITE))
    if str(path) in ("", ":memory:"):
        return
    try:
        path.expanduser().parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"Cannot create the folder for {url} ({exc}).") from exc


def study_names(storage: RDBStorage) -> list[str]:
    """Names of the studies in ``storage``; ValueError when they cannot be read."""
    try:
        return [s.study_name for s in optuna.get_all_study_summaries(storage)]
    except Exception as exc:  # noqa: BLE001 - any storage failure is reported the same way
        raise ValueError(f"Cannot read the studies ({first_line(exc)}).") from exc


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (driver errors run to many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: The user attribute naming the process that runs a trial: "host:pid".
WORKER_ATTR = "worker"


def this_worker() -> str:
    """This process, as a trial's ``WORKER_ATTR`` names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def fail_dead_trials(study: optuna.Study) -> int:
    """Mark FAIL the RUNNING trials whose process on this machine has died (a kill -9, a
    crash); trials of other machines are left to their own heartbeat. Returns how many."""
    host = socket.gethostname()
    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker_host, _, pid = str(trial.user_attrs.get(WORKER_ATTR, "")).rpartition(":")
        if worker_host == host and pid.isdigit() and not _alive(int(pid)):
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            _retry(study, trial._trial_id)
            failed += 1
    return failed


def _retry(study: optuna.Study, trial_id: int) -> None:
    """Hand a failed trial to the storage's failed-trial callback (a retry of the same
    parameters, where one is configured), as Optuna's own stale-trial check does."""
    storage = study._storage
    get_callback = (getattr(storage, "get_heartbeat_stale_trial_callback", None)  # optuna >= 4.9
                    or getattr(storage, "get_failed_trial_callback", None))
    callback = get_callback() if get_callback is not None else None
    if callback is not None:
        callback(study, study._storage.get_trial(trial_id))
