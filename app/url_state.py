"""Page state that lives in the URL, so a shared link reproduces a demo.

A page declares its fields once (default, and the range or choices its widget accepts).
``restore`` fills ``st.session_state`` from the query string, clamping numbers into range and
falling back to the default for anything malformed, with a short notice saying what the link
asked for and what the page shows instead, so a hand-edited or stale link never breaks a
widget. ``publish`` writes the non-default values back after the widgets ran. Widget keys carry
a page prefix; the URL uses the bare field name. ``GLOBAL_FIELDS`` (presentation mode, the
chart download format) belong to every page: ``app/main.py`` restores them and every page's
``publish`` keeps them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import streamlit as st

from core.demos import DEMOS


@dataclass(frozen=True)
class Field:
    """One setting: its default, its range (numbers) or choices, and its kind.

    ``kind`` is the value's type where the default does not say it (a run id whose default is
    None); ``many`` makes the value a list (a multiselect), comma-separated in the URL.
    Numeric ``choices`` (a select slider's options) accept only those numbers.
    """

    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: Sequence[Any] | None = None
    kind: type | None = None
    many: bool = False

    @property
    def type(self) -> type:
        return self.kind or type(self.default)

    def parse(self, text: str) -> Any:
        """The value of ``text`` in this field's type; ``ValueError`` if it has none.

        A number out of range is clamped (see ``check``, which says so)."""
        if self.many:
            return [self._one(part.strip()) for part in text.split(",") if part.strip()]
        if self.default is None and text.lower() in ("", "none"):
            return None
        return self._one(text)

    def _one(self, text: str) -> Any:
        kind = self.type
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"{text!r} is not true or false")
            return text.lower() in ("true", "1")
        if kind in (int, float):
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"{text!r} is not a number") from None
            if not math.isfinite(number):
                raise ValueError(f"{text!r} is not a finite number")
            number = kind(number) if kind is float else int(round(number))
            if self.choices is not None:
                match = [c for c in self.choices if math.isclose(c, number, rel_tol=1e-9)]
                if not match:
                    raise ValueError(f"{text} is not one of {', '.join(map(str, self.choices))}")
                return match[0]
            if self.lo is not None:
                number = max(number, kind(self.lo))
            if self.hi is not None:
                number = min(number, kind(self.hi))
            return number
        if self.choices is not None and text not in self.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(map(str, self.choices))}")
        return text

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
    as given (malformed: the default; out of range: clamped)."""
    raw = st.query_params.get(name)
    if raw is None:
        return field.default, None
    try:
        value = field.parse(raw)
    except (ValueError, OverflowError) as exc:
        shown = field.format(field.default) if field.default not in (None, "") else "none"
        return field.default, f"`{name}`: {str(exc).rstrip('.')}, so the page uses {shown}"
    if field.type in (int, float) and not field.many and field.choices is None:
        asked = float(raw)
        above, below = field.hi is not None and asked > field.hi, field.lo is not None and (
            asked < field.lo)
        if above or below:
            return value, f"`{name}={raw}` is out of range, so the page uses {value:g}"
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


def show_notes() -> None:
    """One short notice with what the link asked for that the page could not show."""
    notes = st.session_state.pop(NOTES, [])
    if notes:
        st.info("From the link: " + "; ".join(notes) + ".", icon=":material/link_off:")


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


def publish(prefix: str, fields: Mapping[str, Field]) -> None:
    """Write the non-default values to the URL (defaults stay out, keeping links short).

    The global fields (presentation mode, download format) stay in the URL of every page."""
    query = {**wanted(GLOBAL_PREFIX, GLOBAL_FIELDS), **wanted(prefix, fields)}
    if dict(st.query_params) != query:
        st.query_params.from_dict(query)


def drop(prefix: str, name: str, note: str) -> None:
    """Forget a value the page cannot show (a run that no longer exists), saying so."""
    st.session_state[prefix + name] = None
    add_note(note)
