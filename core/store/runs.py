"""The run store: every training run, search trial and hardware run, in one SQLite file.

One table, ``runs``: id, kind (``"surrogate"``, ``"relpsp"``, ``"nas"``, ...), creation time,
an optional name, the configuration, the per-epoch history and the final metrics as JSON, and
the weights as a ``torch.save`` blob. Weights are read back with ``torch.load(weights_only=True)``
so a tampered file cannot run code. Each call opens its own short connection, so one store can be
used from several threads and processes at once.

A server shares one store among its visitors: it may not grow past ``LIMITS.store_quota_mb``
(checked before each insert), and one uploaded file kept in it past ``LIMITS.stored_upload_mb``
(``check_upload``). A row whose JSON cannot be read (a damaged or hand-edited file) is skipped by
``list_runs``, which names it in ``RunList.skipped``, so one bad row never hides the others.

The file lives at ``$SPIKELAB_DB``, by default ``~/.spikelab/spikelab.db``.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from core.limits import LIMITS, MB
from core.store.safe_json import loads

DB_ENV = "SPIKELAB_DB"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    created TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL,
    history TEXT NOT NULL,
    metrics TEXT NOT NULL,
    weights BLOB
);
CREATE INDEX IF NOT EXISTS runs_kind ON runs (kind, id);
"""
_SUMMARY_COLUMNS = "id, kind, created, name, config, history, metrics, weights IS NOT NULL"


def default_db_path() -> Path:
    """``$SPIKELAB_DB`` when set, else ``~/.spikelab/spikelab.db``."""
    return Path(os.environ.get(DB_ENV) or Path.home() / ".spikelab" / "spikelab.db").expanduser()


@dataclass(frozen=True)
class Run:
    """One stored run. ``weights`` holds the raw blob; ``load_weights()`` decodes it safely."""

    id: int
    kind: str
    created: str
    name: str
    config: dict[str, Any]
    history: list[dict[str, Any]]
    metrics: dict[str, Any]
    has_weights: bool
    weights: bytes | None = field(default=None, repr=False)

    def load_weights(self) -> dict[str, torch.Tensor]:
        """The tensors saved with the run (empty when none were saved)."""
        if self.weights is None:
            return {}
        try:
            state = torch.load(io.BytesIO(self.weights), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:  # torch's message advises weights_only=False: never
            raise ValueError(f"The weights of run {self.id} hold code or objects that are not "
                             "plain tensors, so they are refused (SpikeLab loads tensors "
                             "only).") from None
        except Exception as exc:  # noqa: BLE001 - any decoding failure means a corrupt blob
            raise ValueError(f"The weights of run {self.id} cannot be read "
                             f"({_first_line(exc)}).") from None
        if not isinstance(state, dict):
            raise ValueError(f"The weights of run {self.id} are not a name -> tensor mapping.")
        return state


class RunList(list[Run]):
    """Runs, newest first, with the ids of rows that were skipped as unreadable."""

    skipped: tuple[int, ...] = ()


def _first_line(exc: BaseException) -> str:
    """An exception's first line, cut short, without torch's advice to unpickle anyway."""
    line = next((x.strip() for x in str(exc).splitlines() if x.strip()), type(exc).__name__)
    return "not plain tensors" if "weights_only" in line else line[:200]


def check_upload(nbytes: int, what: str) -> None:
    """``ValueError`` when an uploaded file of ``nbytes`` is too large to keep in the store."""
    if nbytes > LIMITS.stored_upload_mb * MB:
        raise ValueError(f"{what} is {nbytes / MB:,.1f} MB, more than the "
                         f"{LIMITS.stored_upload_mb} MB an uploaded file kept in the run store "
                         "may have; refused.")


def weights_to_bytes(weights: Mapping[str, torch.Tensor]) -> bytes:
    """Serialise name -> tensor (detached, on the CPU) with ``torch.save``."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in weights.items()}, buffer)
    return buffer.getvalue()


class RunStore:
    """Save, list and reload runs in the SQLite file at ``path`` (see ``default_db_path``)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path).expanduser() if path else default_db_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(
                f"Cannot create the folder for the run database {self.path} ({exc}); "
                f"set {DB_ENV} to a writable file."
            ) from exc
        with self._connect() as con:
            con.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=30.0)
        except sqlite3.Error as exc:
            raise ValueError(self._problem(exc)) from exc
        try:
            with con:  # commits on success, rolls back on error
                yield con
        except sqlite3.Error as exc:
            raise ValueError(self._problem(exc)) from exc
        finally:
            con.close()

    def _problem(self, exc: sqlite3.Error) -> str:
        return (
            f"The run database {self.path} cannot be used ({exc}). Point {DB_ENV} at another "
            "file, or move this one away to start a new database."
        )

    def save_run(
        self,
        kind: str,
        config: Mapping[str, Any],
        history: list[Mapping[str, Any]] | None = None,
        metrics: Mapping[str, Any] | None = None,
        weights: Mapping[str, torch.Tensor] | None = None,
        name: str = "",
    ) -> int:
        """Store one run and return its id."""
        if not kind or not kind.strip():
            raise ValueError("A run needs a kind, such as 'surrogate'.")
        blob = weights_to_bytes(weights) if weights is not None else None
        row = (
            kind,
            datetime.now(UTC).isoformat(timespec="seconds"),
            name,
            _dumps(config, "configuration"),
            _dumps(list(history or []), "history"),
            _dumps(metrics or {}, "metrics"),
            blob,
        )
        with self._connect() as con:
            self._check_quota(con, sum(len(str(v)) for v in row[:6]) + len(blob or b""))
            cur = con.execute(
                "INSERT INTO runs (kind, created, name, config, history, metrics, weights) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid or 0)

    def _check_quota(self, con: sqlite3.Connection, adding: int) -> None:
        """``ValueError`` when ``adding`` bytes would take the file past the store's quota.

        Counts the pages in use: SQLite reuses the pages of deleted runs, so deleting frees room
        even though the file does not shrink."""
        pages, free, size = (con.execute(f"PRAGMA {name}").fetchone()[0]
                             for name in ("page_count", "freelist_count", "page_size"))
        used, quota = (pages - free) * size, LIMITS.store_quota_mb * MB
        if used + adding > quota:
            raise ValueError(
                f"The run store is full: it holds {used / MB:,.0f} MB and this run adds "
                f"{adding / MB:,.1f} MB, past this server's limit of {LIMITS.store_quota_mb:,} "
                "MB; delete runs that are no longer needed (`python -m core runs` lists them) or "
                f"start a new store ({DB_ENV}).")

    def get_run(self, run_id: int) -> Run:
        """The run with this id, weights included; ValueError when there is none."""
        with self._connect() as con:
            row = con.execute(
                f"SELECT {_SUMMARY_COLUMNS}, weights FROM runs WHERE id = ?", (int(run_id),)
            ).fetchone()
        if row is None:
            raise ValueError(f"There is no run {run_id} in {self.path}.")
        return _to_run(row[:8], row[8])

    def list_runs(self, kind: str | None = None, limit: int | None = None) -> RunList:
        """Runs newest first, without their weight blobs; only ``kind`` when given. A row whose
        JSON cannot be read is left out and its id kept in the result's ``skipped``."""
        query = f"SELECT {_SUMMARY_COLUMNS} FROM runs"
        params: tuple[Any, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            params = (kind,)
        query += " ORDER BY id DESC"
        if limit is not None:
            query += " LIMIT ?"
            params = (*params, int(limit))
        with self._connect() as con:
            rows = con.execute(query, params).fetchall()
        runs, skipped = RunList(), []
        for row in rows:
            try:
                runs.append(_to_run(row, None))
            except ValueError:
                skipped.append(int(row[0]))
        runs.skipped = tuple(skipped)
        return runs

    def update_metrics(self, run_id: int, metrics: Mapping[str, Any]) -> None:
        """Merge ``metrics`` into a stored run's metrics (e.g. counts measured after import)."""
        merged = {**self.get_run(run_id).metrics, **metrics}
        with self._connect() as con:
            con.execute("UPDATE runs SET metrics = ? WHERE id = ?",
                        (_dumps(merged, "metrics"), int(run_id)))

    def delete_run(self, run_id: int) -> None:
        """Remove a run; ValueError when there is none."""
        with self._connect() as con:
            cur = con.execute("DELETE FROM runs WHERE id = ?", (int(run_id),))
        if cur.rowcount == 0:
            raise ValueError(f"There is no run {run_id} in {self.path}.")


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(_clean(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The run's {what} cannot be stored as JSON ({exc}).") from exc


def _clean(value: Any) -> Any:
    """JSON-ready copy: tuples -> lists, non-finite floats -> None, 0-d arrays -> scalars."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_SHAPES = (("configuration", 4, dict), ("history", 5, list), ("metrics", 6, dict))


def _to_run(row: tuple[Any, ...], blob: bytes | None) -> Run:
    """A row as a ``Run``; ``ValueError`` (one line) when its JSON cannot be read."""
    parts = []
    for what, i, shape in _SHAPES:
        try:
            value = loads(row[i], "it") if isinstance(row[i], str | bytes) else None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ValueError(f"Run {row[0]} cannot be read: its {what} is not valid JSON "
                             f"({_first_line(exc)}).") from None
        if not isinstance(value, shape):
            raise ValueError(f"Run {row[0]} cannot be read: its {what} is not a JSON "
                             f"{'list' if shape is list else 'object'}.")
        parts.append(value)
    config, history, metrics = parts
    return Run(
        id=int(row[0]),
        kind=str(row[1]),
        created=str(row[2]),
        name=str(row[3]),
        config=config,
        history=history,
        metrics=metrics,
        has_weights=bool(row[7]),
        weights=blob,
    )
