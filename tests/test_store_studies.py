"""The one Optuna storage helper: URLs, SQLite folders, masked passwords, defaults, listing,
and what network mode allows."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from core.limits import NETWORK_ENV
from core.store.studies import (
    NAS_DB,
    SWEEPS_DB,
    check_storage,
    default_storage,
    existing_storage,
    has_secret,
    make_storage,
    mask_password,
    storage_exists,
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


@pytest.mark.parametrize(("url", "masked"), [
    ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
    ("postgresql://:secret@host/db", "postgresql://:***@host/db"),
    ("postgresql://u:p@ss@host/db", "postgresql://u:***@host/db"),  # a raw @ in the password
    ("postgresql://u:p/w?x@host:5432/db", "postgresql://u:***@host:5432/db"),
    ("postgresql+psycopg:///x?host=127.0.0.1&password=secret",
     "postgresql+psycopg:///x?host=127.0.0.1&password=***"),
    ("postgresql+psycopg:///x?host=h&PassWord=secret&port=5",
     "postgresql+psycopg:///x?host=h&PassWord=***&port=5"),
    ("postgresql://h/x?pwd=a&passwd=b&pass=c&sslpassword=d",
     "postgresql://h/x?pwd=***&passwd=***&pass=***&sslpassword=***"),
    ("postgresql://h/x?%70assword=secret", "postgresql://h/x?%70assword=***"),  # encoded name
    ("postgresql://u:s@h/x?user=a@b&password=c", "postgresql://u:***@h/x?user=a@b&password=***"),
])
def test_every_kind_of_password_is_masked(url: str, masked: str) -> None:
    assert mask_password(url) == masked and has_secret(url)
    assert "secret" not in mask_password(url)
    assert mask_password(masked) == masked and not has_secret(masked)


@pytest.mark.parametrize("url", [
    "postgresql://user@host/db", "postgresql://host:5432/db", "sqlite:////tmp/a:b@c.db",
    "sqlite:///x.db", "postgresql:///x?host=h&user=me", "x",
])
def test_urls_without_secrets_are_unchanged(url: str) -> None:
    assert mask_password(url) == url and not has_secret(url)


def test_errors_mask_query_passwords() -> None:
    with pytest.raises(ValueError, match="Cannot open the study storage") as info:
        make_storage("postgresql+psycopg:///x?host=127.0.0.1&port=1&password=hunter2")
    assert "hunter2" not in str(info.value)


def test_reading_a_missing_storage_creates_nothing(tmp_path: Path) -> None:
    from core.search.grid import list_studies, load_summary

    url = f"sqlite:///{tmp_path / 'new' / 'er' / 'x.db'}"
    assert not storage_exists(url) and existing_storage(url) is None
    assert list_studies(url) == []
    with pytest.raises(ValueError, match="There is no study"):
        load_summary("s", url)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Network mode with the run store in ``tmp_path/store``; returns that folder."""
    monkeypatch.setenv(NETWORK_ENV, "1")
    folder = tmp_path / "store"
    folder.mkdir()
    monkeypatch.setenv("SPIKELAB_DB", str(folder / "spikelab.db"))
    return folder


def test_network_mode_allows_sqlite_files_in_the_run_store_folder(network: Path) -> None:
    assert check_storage(str(network / "nas.db")) == f"sqlite:///{network / 'nas.db'}"
    assert check_storage(default_storage(NAS_DB)) == default_storage(NAS_DB)
    optuna.create_study(study_name="s", storage=make_storage(default_storage(SWEEPS_DB)))
    assert study_names(existing_storage(default_storage(SWEEPS_DB))) == ["s"]


def test_network_mode_refuses_everything_else(network: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (network / "link.db").symlink_to(outside / "target.db")
    (network / "sub").mkdir()
    refused = [
        "postgresql://u:secret@127.0.0.1:1/x", "postgresql+psycopg:///x?host=127.0.0.1",
        "mysql://u@127.0.0.1/x", f"sqlite:///{outside / 'x.db'}", str(outside / "x.db"),
        f"sqlite:///{network / '..' / 'elsewhere' / 'x.db'}", f"sqlite:///{network / 'link.db'}",
        f"sqlite:///{network}/%2e%2e%2Fescape.db", f"sqlite:///{network / 'x.db'}?uri=true",
        f"sqlite:///file:{network / 'x.db'}?mode=rwc&uri=true", "sqlite://", "sqlite:///:memory:",
        f"sqlite:///{network / 'spikelab.db'}", f"sqlite:///{network / 'notes.txt'}",
        f"sqlite:///{network / 'sub' / 'x.db'}", f"sqlite:///{network / 'new' / 'x.db'}",
        f"sqlite+pysqlite:///{network / 'x.db'}", "relative.db",
    ]
    for url in refused:
        for opener in (check_storage, make_storage, existing_storage):
            with pytest.raises(ValueError, match="can only be a SQLite file") as info:
                opener(url)
            assert "secret" not in str(info.value) and "\n" not in str(info.value)
    assert sorted(p.name for p in network.iterdir()) == ["link.db", "sub"]
    assert list(outside.iterdir()) == [] and list((network / "sub").iterdir()) == []


def test_a_storage_created_by_two_processes_at_once_opens(monkeypatch, tmp_path) -> None:
    """A search's worker and the page reading it may create a new SQLite storage at the same
    moment: the loser's first ``alembic_version`` insert fails (seen as a flaky page test).
    Opening again finds the tables made; any other failure is reported at once."""
    from sqlalchemy.exc import IntegrityError

    from core.store import studies

    real, calls = studies.RDBStorage, []

    def racing(url, **kwargs):
        calls.append(url)
        if len(calls) == 1:
            lost = Exception("UNIQUE constraint failed: alembic_version.version_num")
            raise IntegrityError("INSERT INTO alembic_version", {}, lost)
        return real(url, **kwargs)

    monkeypatch.setattr(studies, "RDBStorage", racing)
    url = f"sqlite:///{tmp_path / 'race.db'}"
    assert studies.make_storage(url) is not None and len(calls) == 2

    def broken(url, **kwargs):
        calls.append(url)
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(studies, "RDBStorage", broken)
    calls.clear()
    with pytest.raises(ValueError, match="disk I/O error"):
        studies.make_storage(url)
    assert len(calls) == 1
