"""A study-storage box for a page: what the user typed, masked, and what the page has read.

The Grid-search and NAS pages both take an Optuna storage URL (``core/store/studies.py``). A
link may name one, but opening a link must touch nothing: a storage from a link is shown in
the box and read only when *Open study* is pressed, while a storage the user types is read at
once (their own action). A URL holding a password shows masked in the box, and the real one
is kept in session state and never published in the page's link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.store.studies import has_secret, mask_password


@dataclass(frozen=True)
class StorageBox:
    """The box's session-state keys (``<prefix>storage``, ...) and the page's default storage."""

    prefix: str
    default: str

    @property
    def key(self) -> str:
        """The text box's widget key."""
        return self.prefix + "storage"

    @property
    def _real(self) -> str:  # the URL behind a masked box
        return self.prefix + "storage_real"

    @property
    def _opened(self) -> str:  # the URL the page has read (None: nothing yet)
        return self.prefix + "opened"

    def init(self, from_link: bool) -> None:
        """After ``restore``: mask the box; a link's storage (not the default) waits."""
        s = st.session_state
        self.hide_secret()
        if self._opened not in s:
            s[self._opened] = None if from_link and self.entered() != self.default else (
                self.entered())

    def hide_secret(self) -> None:
        """Keep a storage URL holding a password out of the box: the box shows it masked."""
        s = st.session_state
        text = str(s[self.key])
        if has_secret(text):
            s[self._real], s[self.key] = text, mask_password(text)
        elif s.get(self._real) and mask_password(s[self._real]) != text:
            del s[self._real]

    def entered(self) -> str:
        """The storage URL in the box (the real one behind a masked password)."""
        return str(st.session_state.get(self._real) or st.session_state[self.key])

    @property
    def opened(self) -> str | None:
        """The storage URL the page reads now (None: none yet)."""
        return st.session_state[self._opened]

    def open(self, url: str | None = None) -> None:
        """Read ``url`` (default: the one in the box) from now on."""
        st.session_state[self._opened] = self.entered() if url is None else url

    def edited(self) -> None:
        """The text input's ``on_change``: the user typed a storage; mask it and read it."""
        self.hide_secret()
        self.open()

    def waiting(self) -> bool:
        """Whether the box names a storage the page has not read (the button is enabled)."""
        return self.opened != self.entered()

    def link_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The fields to publish: the storage only when it is not the default and holds no
        secret."""
        url = self.entered()
        if url == self.default or has_secret(url):
            return {k: v for k, v in fields.items() if k != "storage"}
        return dict(fields)
