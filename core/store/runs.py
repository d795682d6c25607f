"""The run store: every training run, search trial and hardware run, in one SQLite file.

One table, ``runs``: id, kind (``"surrogate"``, ``"relpsp"``, ``"nas"``, ...), creation time,
an optional name, the configuration, the per-epoch history and the final metrics as JSON, and
the weights as a ``torch.save`` blob. Weights are read back with ``torch.load(weights_only=True)``
so a tampered file cannot run code. Each call opens its own short connection, so one store can be
used from several threads and processes at once.

The file lives at ``$SPIKELAB_DB``, by default ``~/.spikelab/spikelab.db``.
"""

from __future__ import annotations

import io
import json
import math
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

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
        except Exception as exc:  # noqa: BLE001 - any decoding failure means a corrupt blob
            raise ValueError(f"The weights of run {self.id} cannot be read ({exc}).") from exc
        if not isinstance(state, dict):
            raise ValueError(f"The weights of run {self.id} are not a name -> tensor mapping.")
        return state


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
            cur = con.execute(
                "INSERT INTO runs (kind, created, name, config, history, metrics, weights) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid or 0)

    def get_run(self, run_id: int) -> Run:
        """The run with this id, weights included; ValueError when there is none."""
        with self._connect() as con:
            row = con.execute(
                f"SELECT {_SUMMARY_COLUMNS}, weights FROM runs WHERE id = ?", (int(run_id),)
            ).fetchone()
        if row is None:
            raise ValueError(f"There is no run {run_id} in {self.path}.")
        return _to_run(row[:8], row[8])

    def list_runs(self, kind: str | None = None, limit: int | None = None) -> list[Run]:
        """Runs newest first, without their weight blobs; only ``kind`` when given."""
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
        return [_to_run(row, None) for row in rows]

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


def _to_run(row: tuple[Any, ...], blob: bytes | None) -> Run:
    try:
        config, history, metrics = (json.loads(row[i]) for i in (4, 5, 6))
    except json.JSONDecodeError as exc:
        raise ValueError(f"Run {row[0]} holds unreadable JSON ({exc}).") from exc
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
