"""Network mode and the server-wide limits of ``core/limits.py``, and the app switching it on."""

from __future__ import annotations

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from app.text import md, plain
from core.limits import (
    LIMITS,
    MAX_JOBS_ENV,
    NETWORK_ENV,
    clip,
    is_network_address,
    max_jobs,
    network_mode,
)


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "::1", "[::1]", " LOCALHOST "])
def test_loopback_addresses_are_local(address: str) -> None:
    assert not is_network_address(address)


@pytest.mark.parametrize("address", ["0.0.0.0", "", None, "192.168.1.20", "::", "lab-pc"])
def test_other_addresses_and_every_interface_are_a_network(address: str | None) -> None:
    assert is_network_address(address)


def test_max_jobs_reads_its_variable_and_ignores_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_JOBS_ENV, "5")
    assert max_jobs() == 5
    for bad in ("0", "-3", "two", ""):
        monkeypatch.setenv(MAX_JOBS_ENV, bad)
        assert max_jobs() == LIMITS.max_jobs


def test_clip_cuts_long_values_with_an_ellipsis() -> None:
    assert clip("short") == "short"
    cut = clip("x" * 100_000)
    assert len(cut) == LIMITS.message_chars and cut.endswith("…")


def test_md_and_plain_leave_no_live_markup() -> None:
    text = md("a ![p](http://127.0.0.1:9/p.png) [login](www.example.org) me@host")
    assert "![" not in text and "](" not in text and "://" not in text and "www." not in text
    assert "<a" not in plain('<a href="http://127.0.0.1:9">x</a>')


@pytest.mark.parametrize(("address", "expected"), [("0.0.0.0", True), ("localhost", False)])
def test_the_app_turns_network_mode_on_off_localhost(address: str, expected: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NETWORK_ENV, "")  # undone after the test, whatever the app sets
    before = config.get_option("server.address")
    config.set_option("server.address", address)
    try:
        at = AppTest.from_file("../app/main.py", default_timeout=60).run()
    finally:
        config.set_option("server.address", before)
    assert not at.exception
    assert network_mode() is expected


def test_official_download_addresses_stay_whole_and_others_do_not() -> None:
    from app.text import ZWSP, defuse, official_urls

    official = official_urls()[0]
    text = defuse(f"Download {official} or http://127.0.0.1:9/x")
    assert official in text  # copyable, as the message tells the user to download it
    assert "http://127.0.0.1" not in text and f"http:{ZWSP}//127.0.0.1" in text
