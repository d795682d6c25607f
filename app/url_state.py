"""Page state that lives in the URL, so a shared link reproduces a demo.

A page declares its fields once (default, and the range or choices its widget accepts).
``restore`` fills ``st.session_state`` from the query string, clamping numbers into range and
falling back to the default for anything malformed, with a short notice saying what the link
asked for and what the page shows instead, so a hand-edited or stale link never breaks a
widget. An id (a run, whose default is None) out of range is no id at all: it falls back to
none rather than to a neighbour's run. ``publish`` writes the non-default values back after the
widgets ran, leaving out values too long for a link (``LIMITS.url_field_chars`` each,
``LIMITS.url_query_chars`` in all). A longer link cannot be helped from here: Streamlit 1.67
serves through uvicorn, whose h11 parser answers a request head of more than about 64 kB with a
bare "Invalid HTTP request received." (or a reset connection) before any page code runs, and
Streamlit exposes no option for that limit.

A link is a stranger's text. Notes are Markdown written by the code: every value from the link
in them goes through ``shown`` (clipped to ``LIMITS.url_value_chars``, Markdown-escaped), so a
link cannot add an image the browser fetches or an off-site link; ``show_notes`` also defuses
any raw image or link syntax a caller forgot to escape. Widget keys carry
a page prefix; the URL uses the bare field name. ``GLOBAL_FIELDS`` (presentation mode, the
chart download format) belong to every page: ``app/main.py`` restores them and every page's
``publish`` keeps them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from app.text import defuse, md
from core.demos import DEMOS
from core.limits import LIMITS, clip

MAX_INT = 2**53 - 1  # the largest whole number a browser's number widget holds exactly
_INT = re.compile(r"[+-]?\d+")



def shown(value: object, limit: int = LIMITS.url_value_chars) -> str:
    """A value from a link (or a message holding one) as a note shows it: clipped, with a
    zero-width space in ``://``, ``www.`` and ``@`` (GFM turns those into links even when
    escaped), then Markdown-escaped."""
    return md(value, limit)


_PLAIN = re.compile(r"[\w .,:;+-]*")


def asked(name: str, value: object) -> str:
    """``name=value`` as a note names what the link asked for: a code span when the value is
    plain (letters, digits, signs), else the name in code and the value escaped."""
    text = clip(value, LIMITS.url_value_chars)
    if _PLAIN.fullmatch(text):
        return f"`{name}={text}`"
    return f"`{name}` {shown(text)}"


def _quote(text: str) -> str:
    """``text`` quoted for an error message, clipped (a 100 kB value is not echoed whole)."""
    return repr(clip(text, LIMITS.url_value_chars))


@dataclass(frozen=True)
class Field:
    """One setting: its default, its range (numbers) or choices, and its kind.

    ``kind`` is the value's type where the default does not say it (a run id whose default is
    None); ``many`` makes the value a list (a multiselect), comma-separated in the URL.
    Numeric ``choices`` (a select slider's options) accept only those numbers. An int field
    whose default is None, or a list of ints, holds ids: a value outside ``lo``..``MAX_INT`` is
    refused, never clamped (run -5 is not run 1).
    """

    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: Sequence[Any] | None = None
    kind: type | None = None
    many: bool = False

    @property
    def type(self) -> type:
        """The value's type: ``kind``, else the default's."""
        return self.kind or type(self.default)

    @property
    def is_id(self) -> bool:
        """Whether the values are ids (see the class docstring)."""
        return self.type is int and (self.default is None or self.many)

    def parse(self, text: str) -> Any:
        """The value of ``text`` in this field's type; ``ValueError`` if it has none.

        A number out of range is clamped (``read`` says so); an id out of range is refused."""
        if len(text) > LIMITS.url_field_chars:
            raise ValueError(f"a value of {len(text):,} characters is longer than the "
                             f"{LIMITS.url_field_chars:,} a link may give")
        if self.many:
            return [self._one(part.strip()) for part in text.split(",") if part.strip()]
        if self.default is None and text.lower() in ("", "none"):
            return None
        return self._one(text)

    def _one(self, text: str) -> Any:
        kind = self.type
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"{_quote(text)} is not true or false")
            return text.lower() in ("true", "1")
        if kind in (int, float):
            return self._clamp(self.number(text), text)
        if self.choices is not None and text not in self.choices:
            raise ValueError(f"{_quote(text)} is not one of {', '.join(map(str, self.choices))}")
        return text

    def number(self, text: str) -> int | float:
        """``text`` as this field's number, before clamping; ``ValueError`` if it is none.

        Whole numbers are read exactly (``2**63`` stays itself); others must be finite."""
        try:
            if self.type is int and _INT.fullmatch(text.strip()):
                return int(text)  # more than 4,300 digits: Python's ValueError
            number = float(text)
        except ValueError:
            raise ValueError(f"{_quote(text)} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{_quote(text)} is not a finite number")
        return number if self.type is float else int(round(number))

    def _clamp(self, number: int | float, text: str) -> int | float:
        """``number`` within range (an id out of range, or a non-choice: ``ValueError``)."""
        kind = self.type
        if self.choices is not None:
            near = abs(number) <= MAX_INT
            match = [c for c in self.choices
                     if near and math.isclose(c, number, rel_tol=1e-9)]
            if not match:
                raise ValueError(f"{_quote(text)} is not one of "
                                 f"{', '.join(map(str, self.choices))}")
            return match[0]
        lo = kind(-MAX_INT if self.lo is None else self.lo)
        hi = kind(MAX_INT if self.hi is None else self.hi)
        if self.is_id and not lo <= number <= hi:
            raise ValueError(f"{_quote(text)} is not an id (ids run from {lo})")
        return min(max(number, lo), hi)

    def format(self, value: Any) -> str:
        """``value`` as the URL writes it."""
        if self.many:
            return ",".join(str(v) for v in value)
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, float):
            return f"{value:g}" if float(f"{value:g}") == value else repr(value)
        return str(value)


GLOBAL_FIELDS: dict[str, Field] = {
    "present": Field(False),  # presentation mode: larger fonts and lines
    "fmt": Field("png", choices=("png", "svg")),  # what a chart's camera button saves
    "demo": Field("", choices=("", *(d.id for d in DEMOS))),  # the gallery card shown on top
}
GLOBAL_PREFIX = "app_"
NOTES = "_url_notes"


def params_fields(params_types: Iterable[type], exclude: Iterable[str] = ()) -> dict[str, Field]:
    """One ``Field`` per dataclass field, from its default and metadata (min, max, choices).

    The first type declaring a name wins; ``exclude`` names the fields a page lays out itself.
    """
    out: dict[str, Field] = {}
    skip = set(exclude)
    for params_type in params_types:
        for f in fields(params_type):
            if f.name in skip or f.name in out:
                continue
            meta = f.metadata
            out[f.name] = Field(f.default, meta.get("min"), meta.get("max"), meta.get("choices"))
    return out


def read(name: str, field: Field) -> tuple[Any, str | None]:
    """The URL's value of ``name`` (the default when absent) and a note when it was not used
    as given (malformed, or an id out of range: the default; out of range: clamped)."""
    raw = st.query_params.get(name)
    if raw is None:
        return field.default, None
    try:
        value = field.parse(raw)
    except (ValueError, OverflowError) as exc:
        default = field.format(field.default) if field.default is not None else ""
        return field.default, (f"`{name}`: {shown(str(exc).rstrip('.'))}, so the page uses "
                               f"{shown(default) if default else 'none'}")
    if field.type in (int, float) and not field.many and field.choices is None and (
            value is not None and field.number(raw) != value):
        return value, f"{asked(name, raw.strip())} is out of range, so the page uses {value:g}"
    return value, None


def restore(prefix: str, fields: Mapping[str, Field], notice: bool = True) -> None:
    """Set every missing ``prefix + name`` in session state from the URL or the default.

    What the link asked for but could not get is said once, in one short notice."""
    notes = []
    for name, field in fields.items():
        key = prefix + name
        if key in st.session_state:
            continue
        value, note = read(name, field)
        st.session_state[key] = value
        if note:
            notes.append(note)
    if notes:
        add_note(*notes)
    if notice:
        show_notes()


def add_note(*notes: str) -> None:
    """Queue notes about the link for the next ``show_notes`` (e.g. a run that is gone)."""
    st.session_state[NOTES] = [*st.session_state.get(NOTES, []), *notes]


_RAW_LINK = re.compile(r"!\[|\]\(|\]\[|\]:|<(?=[a-zA-Z/])")


def show_notes() -> None:
    """One short notice with what the link asked for that the page could not show.

    Raw image/link syntax and bare URLs left in a note (a value a caller did not pass through
    ``shown``) are defused here too: no note can fetch anything or show a link."""
    notes = st.session_state.pop(NOTES, [])
    if notes:
        text = _RAW_LINK.sub(lambda m: "".join("\\" + c for c in m.group()), "; ".join(notes))
        text = defuse(text)
        st.info("From the link: " + text + ".", icon=":material/link_off:")


def wanted(prefix: str, fields: Mapping[str, Field]) -> dict[str, str]:
    """The query string of the non-default values in session state."""
    out = {}
    for name, field in fields.items():
        value = st.session_state.get(prefix + name, field.default)
        if isinstance(value, tuple):
            value = list(value)
        default = list(field.default) if isinstance(field.default, tuple) else field.default
        if value != default:
            out[name] = field.format(value)
    return out


def fit(query: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """``query`` without the values too long for a link, and the names left out.

    A value longer than ``LIMITS.url_field_chars`` (percent-encoded) goes, then the longest
    until the whole query fits ``LIMITS.url_query_chars``."""
    size = {name: len(urlencode({name: value})) for name, value in query.items()}
    kept = {n: v for n, v in query.items() if size[n] <= LIMITS.url_field_chars}
    while kept and sum(size[n] + 1 for n in kept) > LIMITS.url_query_chars:
        del kept[max(kept, key=size.__getitem__)]
    return kept, [n for n in query if n not in kept]


def publish(prefix: str, fields: Mapping[str, Field]) -> None:
    """Write the non-default values to the URL (defaults stay out, keeping links short).

    The global fields (presentation mode, download format) stay in the URL of every page. A
    value too long for a link is left out of it, and a caption says which."""
    query, left_out = fit({**wanted(GLOBAL_PREFIX, GLOBAL_FIELDS), **wanted(prefix, fields)})
    if dict(st.query_params) != query:
        st.query_params.from_dict(query)
    if left_out:
        st.caption(f"Too long for the page's link, so not in it: {', '.join(left_out)}.")


def drop(prefix: str, name: str, note: str) -> None:
    """Forget a value the page cannot show (a run that no longer exists), saying so."""
    st.session_state[prefix + name] = None
    add_note(note)
