"""Shared check for the pages' links: set widgets, read the query, reload from it, compare."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from streamlit.testing.v1 import AppTest


def fresh(page: str, query: Mapping[str, str] | None = None, timeout: int = 60) -> AppTest:
    """The page opened from a link with ``query`` (a new session: nothing in its state)."""
    app = AppTest.from_file(page, default_timeout=timeout)
    if query:
        app.query_params.update(dict(query))
    return app.run()


def query_of(app: AppTest) -> dict[str, str]:
    return {k: str(v) for k, v in dict(app.query_params).items()}


def roundtrip(page: str, change: Callable[[AppTest], Any], keys: Iterable[str],
              timeout: int = 60) -> tuple[AppTest, dict[str, str]]:
    """Open ``page``, ``change`` its widgets, reopen it from its published query in a new
    session and assert that every state key in ``keys`` and the query came back the same."""
    app = fresh(page, timeout=timeout)
    change(app)
    assert not app.exception, app.exception
    query = query_of(app)
    assert query, "the changed settings should be in the URL"
    state = {k: app.session_state[k] for k in keys}
    again = fresh(page, query, timeout)
    assert not again.exception, again.exception
    assert {k: again.session_state[k] for k in keys} == state
    assert query_of(again) == query
    assert not [i.value for i in again.info if "From the link" in i.value]
    return again, query


def notices(app: AppTest) -> str:
    """The text of the page's notices about its link."""
    return " ".join(i.value for i in app.info if "From the link" in i.value)
