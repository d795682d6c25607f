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

import functools
import html
import re
import string

from core.limits import LIMITS, clip

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})
ZWSP = "\u200b"
AUTOLINK = re.compile(r"(?<=:)(?=\\?/\\?/)|(?i:(?<=www)(?=\\?\.))|(?<=@)(?!\u200b)")


@functools.cache
def official_urls() -> tuple[str, ...]:
    """The download addresses of the pinned data sets: SpikeLab's own text, left whole so a
    user can copy them (every other address in a message is defused)."""
    from core.data import braille, cifar10, fashion_mnist, mnist, shd

    return (braille.BRAILLE_FILE.url, cifar10.CIFAR10_FILE.url, fashion_mnist.BASE_URL,
            mnist.BASE_URL, shd.BASE_URL)


def defuse(text: str) -> str:
    """``text`` with a zero-width space where GFM would start a bare link, except inside the
    official download addresses."""
    keep = [(m.start(), m.start() + len(url)) for url in official_urls()
            for m in re.finditer(re.escape(url), text)]

    def space(match: re.Match) -> str:
        return "" if any(a < match.start() < b for a, b in keep) else ZWSP

    return AUTOLINK.sub(space, text)


def md(value: object, limit: int = LIMITS.message_chars) -> str:
    """``value`` as literal text inside Markdown: clipped to ``limit`` characters, no bare
    links, escaped."""
    return defuse(clip(value, limit).replace("\n", " ")).translate(_ESCAPES)


def plain(value: object, limit: int = LIMITS.message_chars) -> str:
    """``value`` as literal text in a Plotly title, legend or hover label: clipped, its tags
    shown as text (Plotly renders ``<a href>``, ``<b>`` and a few other tags there)."""
    return html.escape(clip(value, limit))
