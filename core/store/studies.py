"""Optuna study storages named by a URL: the one way the grid search and NAS open them.

A storage is an Optuna RDB URL: a SQLite file (``sqlite:////abs/path.db``) or a database
server (``postgresql://user:password@host/db``) that any number of machines share; a bare file
path means a SQLite file. The defaults lie beside the run database: ``sweeps.db`` for grid
searches, ``nas.db`` for architecture searches (``default_storage(NAS_DB)``).

Opening a storage is an action with effects (a file and its folder are created, a server is
connected to), so it is split in two: ``make_storage`` opens or creates one (a search being
started), ``existing_storage`` only reads one that is there (a page showing studies: a missing
SQLite file means no studies, and nothing is created). Both check the URL first
(``check_storage``): in network mode (``core.limits``) only SQLite files in the run store's
folder are allowed and no folder is created. Messages never show a password
(``mask_password``: userinfo and query parameters alike).
"""

from __future__ import annotations

import os
import re
import socket
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from core.limits import clip, network_mode
from core.store.runs import default_db_path

SWEEPS_DB = "sweeps.db"
NAS_DB = "nas.db"
_CREATE_TRIES = 3
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


#: Words that make a query parameter secret (password, pass, pwd, passwd, sslpassword...).
SECRET_WORDS = ("pass", "pwd", "secret", "token")
MASK = "***"
_USERINFO = re.compile(r"^([^:/@]*):")  # SQLAlchemy's "user:" before a password


def mask_password(url: str) -> str:
    """``url`` without its secrets, for messages, links and input boxes.

    Masks the userinfo password (``user:***@host``; up to the last ``@`` before the query,
    so a raw ``@`` in a password is masked whole) and the value of every query parameter
    whose decoded name holds ``SECRET_WORDS`` (``?password=***``), whatever its case.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    user = _USERINFO.match(rest)
    first_at = rest.find("@")
    if user and first_at > user.end() - 1:
        query = rest.find("?", first_at)
        last_at = rest.rfind("@", 0, query if query >= 0 else len(rest))
        rest = f"{user.group(0)}{MASK}{rest[last_at:]}"
    head, qmark, query = rest.partition("?")
    if qmark:
        query = "&".join(_mask_pair(pair) for pair in query.split("&"))
    return f"{scheme}://{head}{qmark}{query}"


def _mask_pair(pair: str) -> str:
    """``name=value`` with the value masked when the name says it is a secret."""
    name, eq, _ = pair.partition("=")
    secret = any(word in unquote_plus(name).strip().lower() for word in SECRET_WORDS)
    return f"{name}{eq}{MASK}" if eq and secret else pair


def has_secret(url: str) -> bool:
    """Whether ``url`` holds a password (it must not go into a link or back to a page)."""
    return mask_password(url) != url


def shown(url: str) -> str:
    """``url`` as a message shows it: masked and clipped."""
    return clip(mask_password(url))


def check_storage(text: str) -> str:
    """The storage URL of ``text`` if this server may open it; ValueError (one line) if not.

    Touches no storage. In network mode only ``sqlite:///`` files named ``*.db`` directly in
    the run store's folder are allowed (symlinks resolved; no query string and no ``%``, which
    SQLAlchemy would decode into ``..`` or ``/``; not the run database itself).
    """
    url = storage_url(text)
    if not network_mode():
        return url
    folder = default_db_path().parent.expanduser().resolve()
    refusal = ValueError(f"On this shared server a study storage can only be a SQLite file "
                         f"(*.db) in {folder}, such as {_SQLITE}{folder / NAS_DB}; "
                         f"{shown(url)} is not one.")
    path_text = url.removeprefix(_SQLITE)
    if (not url.startswith(_SQLITE) or path_text in ("", ":memory:")
            or any(c in path_text for c in "?%\0")):
        raise refusal
    path = Path(path_text).resolve()
    if (path.parent != folder or path.suffix != ".db" or path.is_dir()
            or path == default_db_path().expanduser().resolve()):
        raise refusal
    return f"{_SQLITE}{path}"


def storage_exists(url: str) -> bool:
    """False for a SQLite file that is not there yet (opening it would create it); a
    database server is taken to exist (only connecting would tell)."""
    if not url.startswith(_SQLITE):
        return True
    path = url.removeprefix(_SQLITE).partition("?")[0]
    return path in ("", ":memory:") or Path(path).expanduser().is_file()


def existing_storage(text: str) -> RDBStorage | None:
    """The storage at ``text`` for reading, or None when it is a SQLite file not yet made;
    nothing is created. ValueError (one line) when it is not allowed or cannot be opened."""
    url = check_storage(text)
    return _open(url, create=False) if storage_exists(url) else None


def make_storage(url: str, heartbeat_s: float | None = None) -> RDBStorage:
    """The RDB storage at ``url``, created when missing; ValueError (one sentence) when it
    cannot be used or is not allowed here (``check_storage``, before anything is touched).

    With ``heartbeat_s`` running trials send a heartbeat; a trial silent for three intervals is
    marked failed by the next worker, which retries its parameters once.
    """
    return _open(check_storage(url), create=True, heartbeat_s=heartbeat_s)


def _open(url: str, create: bool, heartbeat_s: float | None = None) -> RDBStorage:
    """Open the checked ``url``; ``create`` makes a SQLite file's folder (never in network
    mode: there the folder is the run store's own)."""
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith(_SQLITE):
        kwargs = {"connect_args": {"timeout": 60}}
        if create and not network_mode():
            _make_folder(url)
    for attempt in range(_CREATE_TRIES):
        try:
            with warnings.catch_warnings():  # heartbeats are marked experimental in Optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return RDBStorage(url, engine_kwargs=kwargs, **_heartbeat(heartbeat_s))
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy/driver errors of many kinds
            if attempt + 1 < _CREATE_TRIES and _lost_creation_race(exc):
                time.sleep(0.2 * (attempt + 1))  # the other process's schema is there now
                continue
            reason = clip(mask_password(first_line(exc)))
            raise ValueError(f"Cannot open the study storage {shown(url)}: {reason}") from exc
    raise AssertionError("unreachable")


def _lost_creation_race(exc: BaseException) -> bool:
    """Whether opening failed because another process created the same new storage's tables
    at the same moment (a search's worker and the page reading it: Optuna's first
    ``alembic_version`` row or a table made twice); opening again then finds them made."""
    text = str(exc)
    return "alembic_version" in text or "already exists" in text


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
        raise ValueError(f"Cannot create the folder for {shown(url)} ({exc}).") from exc


def study_names(storage: RDBStorage) -> list[str]:
    """Names of the studies in ``storage``; ValueError when they cannot be read."""
    try:
        return [s.study_name for s in optuna.get_all_study_summaries(storage)]
    except Exception as exc:  # noqa: BLE001 - any storage failure is reported the same way
        reason = clip(mask_password(first_line(exc)))
        raise ValueError(f"Cannot read the studies ({reason}).") from exc


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
