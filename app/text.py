"""User-supplied text in Markdown: escaped, so a link or a file cannot add images or links.

Everything a link, an upload or a stored record carries is a stranger's text. Streamlit renders
``st.info``/``st.markdown``/``st.caption``/... strings as Markdown, where ``![p](http://x)``
makes every visitor's browser fetch an image and ``[text](http://x)`` shows an off-site link.
``md(value)`` clips the text, backslash-escapes every ASCII punctuation character (CommonMark
allows escaping any of them) and puts a zero-width space into ``://``, ``www.`` and after ``@``:
GitHub-flavoured Markdown turns those into links even when escaped (seen in Chromium).
``plain(value)`` does the same for Plotly, whose titles, legends and hovers render some HTML.
"""

from __future__ import annotations

import html
import re
import string

from core.limits import LIMITS, clip

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})
ZWSP = "\u200b"
AUTOLINK = re.compile(r"(?<=:)(?=\\?/\\?/)|(?i:(?<=www)(?=\\?\.))|(?<=@)(?!\u200b)")


def defuse(text: str) -> str:
    """``text`` with a zero-width space where GFM would start a bare link."""
    return AUTOLINK.sub(ZWSP, text)


def md(value: object, limit: int = LIMITS.message_chars) -> str:
    """``value`` as literal text inside Markdown: clipped to ``limit`` characters, no bare
    links, escaped."""
    return defuse(clip(value, limit).replace("\n", " ")).translate(_ESCAPES)


def plain(value: object, limit: int = LIMITS.message_chars) -> str:
    """``value`` as literal text in a Plotly title, legend or hover label: clipped, its tags
    shown as text (Plotly renders ``<a href>``, ``<b>`` and a few other tags there)."""
    return html.escape(clip(value, limit))
