"""The one Optuna storage helper: URLs, SQLite folders, masked passwords, defaults, listing."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from core.store.studies import (
    NAS_DB,
    SWEEPS_DB,
    default_storage,
    make_storage,
    mask_password,
    storage_url,
    study_names,
)


def test_urls_and_masked_passwords(tmp_path: Path) -> None:
    assert storage_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"
    assert storage_url(" postgresql://u@h/db ") == "postgresql://u@h/db"
    with pytest.raises(ValueError, match="Give a storage URL"):
        storage_url("  ")
    assert mask_password("postgresql://user:secret@host/db") == "postgresql://user:***@host/db"
    assert mask_password("postgresql://user@host/db") == "postgresql://user@host/db"
    assert mask_password("sqlite:///x.db") == "sqlite:///x.db"


def test_defaults_lie_beside_the_run_database(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    assert default_storage(NAS_DB) == f"sqlite:///{tmp_path / 'nas.db'}"
    assert default_storage(SWEEPS_DB) == f"sqlite:///{tmp_path / 'sweeps.db'}"
    from core.search.grid import default_storage as sweeps_default

    assert sweeps_default() == default_storage(SWEEPS_DB)


def test_sqlite_folder_is_made_and_studies_listed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 's.db'}"
    storage = make_storage(url)
    assert (tmp_path / "deep" / "er").is_dir() and study_names(storage) == []
    optuna.create_study(study_name="one", storage=storage)
    assert study_names(make_storage(str(tmp_path / "deep" / "er" / "s.db"))) == ["one"]


def test_heartbeat_only_when_asked(tmp_path: Path) -> None:
    assert make_storage(str(tmp_path / "a.db")).get_heartbeat_interval() is None
    assert make_storage(str(tmp_path / "b.db"), 10.0).get_heartbeat_interval() == 10


def test_errors_never_show_the_password() -> None:
    with pytest.raises(ValueError, match="Cannot open the study storage") as info:
        make_storage("postgresql://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(info.value)
    with pytest.raises(ValueError, match="Cannot open the study storage"):
        make_storage("nosuchdb://x")
