"""SpikeLab's local run store (SQLite): configuration, history, metrics and weights of runs."""

from core.store.runs import (
    DB_ENV,
    Run,
    RunList,
    RunStore,
    check_upload,
    default_db_path,
    weights_to_bytes,
)

__all__ = ["DB_ENV", "Run", "RunList", "RunStore", "check_upload", "default_db_path",
           "weights_to_bytes"]
