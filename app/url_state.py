"""Page state that lives in the URL, so a shared link reproduces a demo.

A page declares its fields once (default, and the range or choices its widget accepts).
``restore`` fills ``st.session_state`` from the query string, clamping numbers into range and
falling back to the default for anything malformed, so a hand-edited link never breaks a
widget. ``publish`` writes the non-default values back after the widgets ran. Widget keys carry
a page prefix; the URL uses the bare field name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import streamlit as st


@dataclass(frozen=True)
class Field:
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: Sequence[str] | None = None

    def parse(self, text: str) -> Any:
        """The value of ``text`` in this field's type; ``ValueError`` if it has none."""
        if isinstance(self.default, bool):
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
        if isinstance(self.default, int | float):
            number = type(self.default)(float(text))
            if number != number:  # NaN
                raise ValueError(text)
            if self.lo is not None:
                number = max(number, type(self.default)(self.lo))
            if self.hi is not None:
                number = min(number, type(self.default)(self.hi))
            return number
        if self.choices is not None and text not in self.choices:
            raise ValueError(text)
        return text


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


def restore(prefix: str, fields: Mapping[str, Field]) -> None:
    """Set every missing ``prefix + name`` in session state from the URL or the default."""
    for name, field in fields.items():
        key = prefix + name
        if key in st.session_state:
            continue
        raw = st.query_params.get(name)
        try:
            st.session_state[key] = field.default if raw is None else field.parse(raw)
        except ValueError:
            st.session_state[key] = field.default


def publish(prefix: str, fields: Mapping[str, Field]) -> None:
    """Write the non-default values to the URL (defaults stay out, keeping links short)."""
    wanted = {}
    for name, field in fields.items():
        value = st.session_state.get(prefix + name, field.default)
        if value != field.default:
            wanted[name] = str(value)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
