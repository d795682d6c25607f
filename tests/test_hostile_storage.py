"""Hostile links to the NAS and Grid-search pages (issue 22, defects 2, 5 and 6).

A storage named by a link is shown but not opened until **Open study** is pressed: opening a
page creates no file or folder and connects to no server (a real listener on 127.0.0.1 counts
the connections). Passwords, in the userinfo or in the query, never reach the page's elements
or its link. In network mode only SQLite files in the run store's folder open. Study names from
links and from storages are escaped before they reach Markdown. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from streamlit.testing.v1 import AppTest

from core.limits import NETWORK_ENV
from tests.listener import Listener
from tests.support import ROOT, isolate_store
from tests.url_roundtrip import fresh

PAGES = {"nas": ("nas.py", "nas_", "nas.db"), "grid": ("grid_search.py", "gs_", "sweeps.db")}
SECRET = "hunter2secret"
INJECTION = "x ![p](http://127.0.0.1:9/pixel.png) [Click to re-login](http://127.0.0.1:9/)"


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh run store in ``tmp_path/store``; returns its folder (not created)."""
    isolate_store(tmp_path, monkeypatch)
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "store" / "runs.db"))
    return tmp_path / "store"


def server_urls(port: int) -> list[str]:
    """A server storage with the password in the userinfo, in the query, and psycopg2's form."""
    return [f"postgresql+psycopg://u:{SECRET}@127.0.0.1:{port}/x",
            f"postgresql+psycopg:///x?host=127.0.0.1&port={port}&user=u&password={SECRET}",
            f"postgresql://u:{SECRET}@127.0.0.1:{port}/x"]


def page(name: str) -> str:
    return str(ROOT / "pages" / PAGES[name][0])


def everything(at: AppTest) -> str:
    """Every element's protobuf as text (values, labels, input boxes) and the query."""
    shown = "\n".join(str(getattr(node, "proto", "")) for node in at._tree)
    return shown + "\n" + repr(dict(at.query_params))


def markdown_of(at: AppTest) -> list[str]:
    """The bodies of the elements that render Markdown."""
    kinds = ("markdown", "caption", "info", "error", "warning", "success", "subheader")
    return [str(e.value) for kind in kinds for e in at.get(kind)]


@pytest.mark.parametrize("name", PAGES)
def test_opening_a_link_creates_no_file_or_folder(name: str, store: Path, tmp_path: Path) -> None:
    target = tmp_path / "some" / "where" / "new.db"
    at = fresh(page(name), {"storage": f"sqlite:///{target}"})
    assert not at.exception
    assert any("nothing is read" in text for text in markdown_of(at))
    prefix = PAGES[name][1]
    at.button(key=prefix + "open").click().run()  # reading a missing file creates none either
    assert not at.exception
    assert not (tmp_path / "some").exists() and not store.exists()


@pytest.mark.parametrize("name", PAGES)
def test_opening_the_page_does_not_create_the_default_storage(name: str, store: Path) -> None:
    at = fresh(page(name))
    assert not at.exception and not at.error
    assert not (store / PAGES[name][2]).exists() and not store.exists()


@pytest.mark.parametrize("name", PAGES)
def test_a_linked_server_is_contacted_only_after_the_button(
        name: str, store: Path, listener: Listener) -> None:
    prefix = PAGES[name][1]
    for number, url in enumerate(server_urls(listener.port)):
        before = listener.count
        at = fresh(page(name), {"storage": url})
        time.sleep(0.5)
        assert not at.exception and listener.count == before, url
        assert SECRET not in everything(at)
        assert at.text_input(key=prefix + "storage").value.count("***") == 1
        if number < 2:  # psycopg is installed; psycopg2, the plain scheme's driver, is not
            at.button(key=prefix + "open").click().run()
            assert listener.wait_for(before + 1) > before, "the button should connect"
            assert not at.exception and at.error
            assert SECRET not in everything(at)
    assert not store.exists()


@pytest.mark.parametrize("name", PAGES)
def test_network_mode_opens_only_sqlite_files_in_the_run_store_folder(
        name: str, store: Path, tmp_path: Path, listener: Listener,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NETWORK_ENV, "1")
    store.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (store / "link.db").symlink_to(tmp_path / "elsewhere" / "target.db")
    refused = [*server_urls(listener.port), f"sqlite:///{tmp_path / 'elsewhere' / 'x.db'}",
               f"sqlite:///{store / '..' / 'elsewhere' / 'x.db'}", str(store / "link.db"),
               f"sqlite:///{store / 'new' / 'x.db'}"]
    prefix = PAGES[name][1]
    for url in refused:
        at = fresh(page(name), {"storage": url})
        at.button(key=prefix + "open").click().run()
        assert not at.exception
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and "can only be a SQLite file" in errors[0], (url, errors)
        assert SECRET not in everything(at)
    assert listener.count == 0
    assert sorted(p.name for p in store.iterdir()) == ["link.db"]
    assert list((tmp_path / "elsewhere").iterdir()) == []
    at = fresh(page(name), {"storage": f"sqlite:///{store / 'mine.db'}"})
    at.button(key=prefix + "open").click().run()
    assert not at.exception and not at.error and not (store / "mine.db").exists()


def test_network_mode_refuses_to_start_a_search_elsewhere(
        store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NETWORK_ENV, "1")
    outside = tmp_path / "elsewhere" / "x.db"
    at = fresh(page("nas"), {"storage": str(outside)})
    at.button(key="nas_start").click().run()
    assert not at.exception and at.session_state["nas_job"] is None
    assert any("can only be a SQLite file" in e.value for e in at.error)
    at = fresh(page("grid"), {"storage": str(outside), "grid_hidden": "4", "grid_steps": "5",
                              "grid_scale": "100", "grid_reg": "0"})
    at.button(key="gs_launch").click().run()
    assert not at.exception and "gs_job" not in at.session_state
    assert any("can only be a SQLite file" in e.value for e in at.error)
    assert not outside.parent.exists()


def _unrendered(texts: list[str]) -> list[str]:
    """The texts in which an image or a link would render as Markdown."""
    return [t for t in texts if "](" in t or "![" in t]


def test_study_names_from_links_and_storages_are_escaped(store: Path, tmp_path: Path) -> None:
    from core.nas.study import SearchSpec, make_storage, open_study
    from core.search.grid import DEFAULT_GRID
    from core.search.grid import open_study as open_grid

    nas_url, grid_url = f"sqlite:///{tmp_path / 'n.db'}", f"sqlite:///{tmp_path / 'g.db'}"
    open_study(make_storage(nas_url), INJECTION, SearchSpec("random"))
    open_grid(INJECTION, grid_url, DEFAULT_GRID)
    at = fresh(page("nas"), {"storage": nas_url, "studies": f"{INJECTION},ghost"})
    at.button(key="nas_open").click().run()
    assert not at.exception and at.multiselect(key="nas_studies").value == [INJECTION]
    assert not _unrendered(markdown_of(at)) and "ghost" in " ".join(markdown_of(at))
    at = fresh(page("grid"), {"storage": grid_url, "study": INJECTION})
    at.button(key="gs_open").click().run()
    assert not at.exception and any("Study" in s.value for s in at.subheader)
    assert not _unrendered(markdown_of(at))
    at = fresh(page("grid"), {"storage": grid_url, "study": "other", "reopen": INJECTION + "!"})
    at.button(key="gs_open").click().run()
    assert not at.exception and at.selectbox(key="gs_reopen").value == INJECTION
    texts = markdown_of(at)
    assert not _unrendered(texts) and any("is not stored" in t for t in texts)


def _no_exception(browser_page) -> None:
    """No exception box, and no link or image aimed at the listener in the page."""
    assert browser_page.locator('[data-testid="stException"]').count() == 0
    assert browser_page.locator('[data-testid="stMain"]').count() == 1
    aimed = '[data-testid="stMain"] a[href*="127.0.0.1"], [data-testid="stMain"] img'
    assert browser_page.locator(aimed).count() == 0


@pytest.mark.e2e
def test_a_linked_server_in_chromium_waits_for_the_button(
        app_url: str, browser, listener: Listener) -> None:
    tab = browser.new_page(viewport={"width": 1400, "height": 1200})
    injection = INJECTION.replace("127.0.0.1:9", f"127.0.0.1:{listener.port}")
    tab.goto(f"{app_url}/nas?studies={quote(injection, safe='')}")
    tab.get_by_text("From the link").first.wait_for(timeout=60_000)
    tab.wait_for_timeout(1500)
    assert listener.count == 0  # the browser fetched no image
    assert tab.get_by_role("link", name="Click to re-login").count() == 0
    _no_exception(tab)
    url = server_urls(listener.port)[0]
    tab.goto(f"{app_url}/nas?storage={quote(url, safe='')}")
    tab.get_by_text("nothing is read").first.wait_for(timeout=60_000)
    tab.wait_for_timeout(1500)
    assert listener.count == 0  # the server did not connect
    assert SECRET not in tab.content() and SECRET not in tab.url
    tab.get_by_role("button", name="Open study").click()
    assert listener.wait_for(1) >= 1, "pressing Open study should connect"
    tab.get_by_text("Cannot open the study storage").first.wait_for(timeout=30_000)
    assert SECRET not in tab.content() and SECRET not in tab.url
    _no_exception(tab)
    tab.close()


@pytest.mark.e2e
def test_network_mode_in_chromium_refuses_a_linked_server(
        network_app_url: str, browser, listener: Listener) -> None:
    url = server_urls(listener.port)[1]
    tab = browser.new_page(viewport={"width": 1400, "height": 1200})
    tab.goto(f"{network_app_url}/grid-search?storage={quote(url, safe='')}")
    tab.get_by_text("nothing is read").first.wait_for(timeout=60_000)
    tab.get_by_role("button", name="Open study").click()
    tab.get_by_text("can only be a SQLite file").first.wait_for(timeout=30_000)
    assert listener.count == 0
    assert SECRET not in tab.content() and SECRET not in tab.url
    _no_exception(tab)
    tab.close()


def test_nas_table_reads_without_creating(tmp_path: Path, capsys) -> None:
    from core.cli import main

    assert main(["nas-table", "--storage", str(tmp_path / "new" / "x.db")]) != 0
    assert "There is no study storage" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
