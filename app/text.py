"""User-supplied text in Markdown: escaped, so a link or a file cannot add images or links.

Everything a link, an upload or a stored record carries is a stranger's text. Streamlit renders
``st.info``/``st.markdown``/``st.caption``/... strings as Markdown, where ``![p](http://x)``
makes every visitor's browser fetch an image and ``[text](http://x)`` shows an off-site link.
``md(value)`` backslash-escapes every ASCII punctuation character (CommonMark allows escaping
any of them), which also stops bare ``http://`` and ``www.`` autolinks, and clips the text.
"""

from __future__ import annotations

import string

from core.limits import LIMITS, clip

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})


def md(value: object, limit: int = LIMITS.message_chars) -> str:
    """``value`` as literal text inside Markdown: clipped to ``limit`` characters, escaped."""
    return clip(value, limit).replace("\n", " ").translate(_ESCAPES)
