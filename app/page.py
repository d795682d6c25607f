"""The one way a page runs: every file in ``pages/`` ends with ``run_page(main)``.

A page's ``main()`` lays out its widgets and calls ``core``. An impossible setting (a typed
value, a link's field, an uploaded file) raises ``ValueError`` with a sentence that says what
to change; ``run_page`` shows that sentence as one line, never a traceback, and the page stays
up. A page whose state belongs in its link passes ``publish`` (``app.url_state.publish`` with its
fields): it runs after ``main`` whether or not ``main`` refused a setting, so the link always
shows what the page shows.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app.text import md


def refuse(exc: Exception) -> None:
    """Show why a setting was refused: the exception's sentence on one line."""
    st.error(md(exc), icon=":material/error:")


def run_page(main: Callable[[], None], publish: Callable[[], None] | None = None) -> None:
    """Run ``main`` with bad input reported as one line, then ``publish`` the page's link."""
    try:
        main()
    except ValueError as exc:  # an impossible setting: say what to change, keep the page up
        refuse(exc)
    if publish is not None:
        publish()
