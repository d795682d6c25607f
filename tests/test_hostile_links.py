"""Hostile links and data paths (issue 22, defects 5, 7, 8 and 11): what a query string reaches.

Every page is opened from links whose every field holds a hostile value (inf, nan, 1e300, 2**63,
-5, 100 kB, unicode, Markdown that would fetch an image): no exception, and no element's
Markdown holds live image or link syntax. Data paths: a 5 GB sparse file is refused on its size
without a byte hashed, a foreign file's size and digest are never echoed, and in network mode a
path outside the data cache is refused. The browser test proves an injected image is not fetched.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from streamlit.testing.v1 import AppTest

import app.url_state as url_state
import core.data.download as download
from app.registry import PAGES
from app.url_state import MAX_INT, Field, fit
from core.data import DataUnavailable, load_dataset
from core.data.braille import BRAILLE_FILE
from core.data.download import RemoteFile, fetch
from core.limits import LIMITS
from tests.listener import Listener
from tests.support import isolate_store
from tests.url_roundtrip import fresh, notices

ROOT = Path(__file__).resolve().parents[1]
BIG = 5 * 1024**3  # a 5 GB file, sparse: no disk used


def injection(host: str = "127.0.0.1:9") -> str:
    return f"x ![p](http://{host}/pixel.png) [Click to re-login](http://{host}/login)"


HOSTILE = ("inf", "-inf", "nan", "1e300", str(2**63), "-5", "9" * 100_000,
           "ünïcødé ☃ 𝄞 \u202e", injection(), "`a`</div><img src=x>")


def elements(node) -> Iterator:
    """Every leaf element of an AppTest tree."""
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for child in children.values():
        yield from elements(child)


MARKDOWN_PARTS = ("body", "label", "help", "options", "captions")  # rendered as Markdown


def markdown_of(el) -> list[str]:
    """The parts of an element that Streamlit renders as Markdown (a text input's value is not:
    it is shown as typed)."""
    proto = getattr(el, "proto", None)
    if proto is None or getattr(el, "type", "") in ("selectbox", "multiselect", "text_input"):
        return [getattr(proto, "label", "")] if proto is not None else []
    out: list[str] = []
    for part in MARKDOWN_PARTS:
        value = getattr(proto, part, None)
        if isinstance(value, str):
            out.append(value)
        elif value is not None and not hasattr(value, "ListFields"):
            out.extend(str(v) for v in value)
    return out


def assert_no_live_markdown(at: AppTest) -> None:
    """No element's Markdown (text, notice, label, help) carries an unescaped image or http
    link, and none echoes a 100 kB value whole."""
    for el in elements(at._tree):
        for text in markdown_of(el):
            assert "![" not in text and "](http" not in text, (el.type, text[:500])
            assert "9" * 1000 not in text, f"{el.type} echoes a long value whole"


def page_fields(page: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL fields ``page`` restores, recorded as the page reads them."""
    seen: list[str] = []
    real = url_state.read

    def spy(name: str, field: Field):
        seen.append(name)
        return real(name, field)

    with monkeypatch.context() as m:
        m.setattr(url_state, "read", spy)
        at = fresh(str(page))
    assert not at.exception, at.exception
    return list(dict.fromkeys(seen))


# --- Field parsing ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("field", [
    Field(1.0, 0.0, 5.0), Field(10, 1, 100), Field(None, 1, None, kind=int), Field(False),
    Field([], 1, None, kind=int, many=True), Field("x"), Field("a", choices=("a", "b")),
    Field(32, choices=(8, 32)), Field(0.03, choices=(0.01, 0.03)), Field(5), Field(2.0),
])
def test_a_hostile_value_is_a_value_or_a_value_error(field: Field, text: str) -> None:
    try:
        value = field.parse(text)
    except ValueError as exc:
        assert len(str(exc)) < 2 * LIMITS.url_value_chars + 200  # never the value whole
        return
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert abs(value) <= MAX_INT


@pytest.mark.parametrize("text", ["-5", "0", str(2**63), "9223372036854775807", "1e300"])
def test_an_id_out_of_range_is_no_id(text: str) -> None:
    with pytest.raises(ValueError, match="is not an id"):
        Field(None, 1, None, kind=int).parse(text)
    assert Field(None, 1, None, kind=int).parse("3") == 3
    assert Field(10, 1, 100).parse("-5") == 1  # a setting, not an id: clamped


def _run_field_page() -> None:
    from app.url_state import Field, restore

    restore("t_", {"run": Field(None, 1, None, kind=int), "steps": Field(10, 1, 100)})


@pytest.mark.parametrize("run", ["-5", "9223372036854775808"])
def test_a_link_with_a_bad_run_shows_no_run_and_says_so(run: str) -> None:
    at = AppTest.from_function(_run_field_page)
    at.query_params.update({"run": run, "steps": "1e300"})
    at.run()
    assert not at.exception
    assert at.session_state["t_run"] is None and at.session_state["t_steps"] == 100
    assert "`run`" in notices(at) and "so the page uses none" in notices(at)
    assert "`steps=1e300` is out of range" in notices(at)


def test_published_links_stay_short() -> None:
    query = {"a": "x" * 3000, "b": "y" * 1900, "c": "z" * 1900, "d": "w" * 1900, "e": "1"}
    kept, left_out = fit(query)
    assert "a" in left_out and "e" in kept and len(left_out) == 2
    assert sum(len(k) + len(v) + 2 for k, v in kept.items()) <= LIMITS.url_query_chars
    assert fit({"ü": "☃" * 700})[1] == ["ü"]  # measured percent-encoded (9 bytes a snowman)


def test_a_long_typed_value_is_left_out_of_the_link() -> None:
    at = fresh(str(ROOT / "pages" / "neuron_dynamics.py"), {"input": "spikes"})
    at.text_input(key="nd_times").set_value(", ".join(["10"] * 1500))
    at.text_input(key="nd_weights").set_value(", ".join(["0.1"] * 1500)).run()
    assert not at.exception and not at.error
    assert "times" not in at.query_params and "weights" not in at.query_params
    assert at.query_params["input"] == "spikes"
    assert any("Too long for the page's link" in c.value for c in at.caption)


def _unescaped_page() -> None:
    import streamlit as st

    st.info("From the link: x ![p](http://127.0.0.1:9/p.png)")


def test_the_markdown_check_sees_live_syntax() -> None:
    at = AppTest.from_function(_unescaped_page).run()
    with pytest.raises(AssertionError):
        assert_no_live_markdown(at)


# --- Every page against hostile links ----------------------------------------------------------

@pytest.mark.parametrize("page", [p.path for p in PAGES], ids=[p.url_path for p in PAGES])
def test_every_page_survives_hostile_links(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_store(tmp_path, monkeypatch)
    names = page_fields(page, monkeypatch)
    assert len(names) >= 2, f"{page.name}: only {names} read from the link"
    for shift in range(len(HOSTILE)):  # every field gets every hostile value once
        query = {n: HOSTILE[(i + shift) % len(HOSTILE)] for i, n in enumerate(names)}
        at = fresh(str(page), query)
        assert not at.exception, (page.name, shift, at.exception)
        assert_no_live_markdown(at)


@pytest.mark.parametrize("value", HOSTILE)
def test_the_app_settings_survive_hostile_links(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_store(tmp_path, monkeypatch)
    at = fresh(str(ROOT / "app" / "main.py"), {"present": value, "fmt": value, "demo": value})
    assert not at.exception
    assert_no_live_markdown(at)


def test_spike_times_that_overflow_are_one_line() -> None:
    page = str(ROOT / "pages" / "neuron_dynamics.py")
    for times in ("inf", "1e300", "10, -inf", str(2**70)):
        at = fresh(page, {"input": "spikes", "times": times, "weights": "0.5"})
        assert not at.exception, (times, at.exception)
        assert [e.value for e in at.error] == [
            "Spike times and weights are numbers separated by commas, e.g. 10, 30."]


def test_the_injection_link_on_the_neuron_page_is_escaped() -> None:
    at = fresh(str(ROOT / "pages" / "neuron_dynamics.py"), {"a_model": injection()})
    assert not at.exception
    assert "`a_model`" in notices(at) and "Click to re" in notices(at)
    assert_no_live_markdown(at)


# --- Data paths ----------------------------------------------------------------------------

@pytest.fixture
def no_hashing(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the data layer hashes (none should be, for a file of the wrong size)."""
    hashed: list[Path] = []
    real = download.file_digest

    def spy(path: Path, algorithm: str = "sha256") -> str:
        hashed.append(path)
        return real(path, algorithm)

    monkeypatch.setattr(download, "file_digest", spy)
    return hashed


def sparse(path: Path, size: int = BIG) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def test_a_5gb_file_is_refused_on_its_size_unread(tmp_path: Path, no_hashing: list) -> None:
    big = sparse(tmp_path / BRAILLE_FILE.filename)
    with pytest.raises(DataUnavailable, match="is not the official") as err:
        load_dataset("braille", big)
    assert no_hashing == []
    assert f"{BIG:,}" not in str(err.value) and str(BIG) not in str(err.value)
    unpinned = RemoteFile("blob.bin", "file:///unused", sha256="0" * 64)
    with pytest.raises(DataUnavailable, match="at most"):
        fetch(unpinned, big)  # no pinned size: the bound still refuses it unread
    assert no_hashing == []


def test_a_foreign_file_is_not_described(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n" * 40)
    same = tmp_path / "same-size"
    same.write_bytes(b"\0" * BRAILLE_FILE.size)  # the pinned size, another file: hashed, refused
    for path in (secret, same):
        with pytest.raises(DataUnavailable, match="is not the official|does not match") as err:
            load_dataset("braille", path)
        text = str(err.value)
        assert hashlib.sha256(path.read_bytes()).hexdigest()[:6] not in text
        assert str(secret.stat().st_size) not in text.replace(f"{BRAILLE_FILE.size:,}", "")


@pytest.fixture
def network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Network mode with a data cache of its own; returns the cache folder."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("SPIKELAB_NETWORK", "1")
    monkeypatch.setenv("SPIKELAB_DATA", str(cache))
    return cache


def _pinned(path: Path, payload: bytes) -> RemoteFile:
    path.write_bytes(payload)
    sha = hashlib.sha256(payload).hexdigest()
    return RemoteFile(path.name, "file:///unused", sha256=sha, size=len(payload))


def test_network_mode_confines_data_paths_to_the_cache(tmp_path: Path, network: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    remote = _pinned(outside / "blob.bin", b"payload" * 100)
    for path in (outside / "blob.bin", outside, Path("/etc/passwd"), network / ".." / "outside"):
        with pytest.raises(DataUnavailable, match="confined to the data cache") as err:
            fetch(remote, path)
        assert "\n" not in str(err.value)
    (network / "link").symlink_to(outside)  # a symlink inside the cache is followed
    with pytest.raises(DataUnavailable, match="confined"):
        fetch(remote, network / "link")
    inside = network / "mine"
    inside.mkdir()
    _pinned(inside / "blob.bin", b"payload" * 100)
    assert fetch(remote, inside) == (inside / "blob.bin").resolve()


def test_network_mode_messages_name_no_host_folder(tmp_path: Path, network: Path) -> None:
    remote = _pinned(tmp_path / "blob.bin", b"payload" * 100)
    with pytest.raises(DataUnavailable, match="not in the cache") as err:
        fetch(remote, allow_download=False)
    assert str(network) not in str(err.value) and "(<cache>" in str(err.value)
    (network / "mine").mkdir()
    with pytest.raises(DataUnavailable, match="does not exist") as err:
        fetch(remote, network / "mine")
    assert str(err.value).startswith("<cache>/mine/blob.bin does not exist")
    (network / "mine" / "blob.bin").write_bytes(b"other!!" * 100)  # the size, not the digest
    with pytest.raises(DataUnavailable, match="does not match") as err:
        fetch(remote, network / "mine")
    assert str(network) not in str(err.value) and str(tmp_path) not in str(err.value)


def test_network_mode_read_errors_name_no_host_folder(tmp_path: Path, network: Path) -> None:
    """An OS error's text carries the raw path; the loaders' messages give only its reason."""
    from core.data.fashion_mnist import read_idx

    folder = network / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    folder.mkdir(parents=True)  # a folder where a file should be: reading it fails
    with pytest.raises(DataUnavailable, match="not a readable gzip file") as err:
        read_idx(folder)
    assert str(network) not in str(err.value)
    assert str(err.value).startswith("<cache>/fashion-mnist/train-images-idx3-ubyte.gz ")
    assert "Is a directory" in str(err.value)


def test_local_mode_still_reads_any_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPIKELAB_NETWORK", raising=False)
    remote = _pinned(tmp_path / "blob.bin", b"payload" * 100)
    assert fetch(remote, tmp_path) == (tmp_path / "blob.bin").resolve()


ENCODING = str(ROOT / "pages" / "encoding.py")


def test_encoding_link_to_a_big_file_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_hashing: list
) -> None:
    isolate_store(tmp_path, monkeypatch)
    big = sparse(tmp_path / "huge.bin")
    at = fresh(ENCODING, {"dataset": "braille", "data_path": str(big)})
    assert not at.exception
    assert no_hashing == []
    text = " ".join(e.value for e in at.error)
    assert "is not the official" in text and f"{BIG:,}" not in text
    assert_no_live_markdown(at)


def test_encoding_link_in_network_mode_names_no_host_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, network: Path
) -> None:
    monkeypatch.setenv("SPIKELAB_DB", str(tmp_path / "runs.db"))
    at = fresh(ENCODING, {"dataset": "braille", "data_path": "/etc/passwd",
                          "browse_path": "/etc"})
    assert not at.exception
    text = " ".join(e.value for e in [*at.error, *at.info])
    assert "confined to the data cache" in text and "bytes" not in text


# --- In the browser ------------------------------------------------------------------------

@pytest.mark.e2e
def test_browser_fetches_nothing_an_injected_link_names(app_url: str, browser) -> None:
    listener = Listener()
    try:
        page = browser.new_page()
        host = f"127.0.0.1:{listener.port}"
        page.goto(f"{app_url}/neurons?a_model={quote(injection(host), safe='')}")
        page.get_by_text("From the link").first.wait_for(timeout=60_000)
        page.get_by_text("Click to re").first.wait_for(timeout=10_000)
        page.wait_for_timeout(2000)
        assert page.locator(f'img[src*="{host}"]').count() == 0
        assert page.locator(f'a[href*="{host}"]').count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()
    finally:
        listener.close()
    assert listener.count == 0
