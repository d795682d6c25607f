"""Widgets for a parameter dataclass, generated from its fields' metadata.

A parameter dataclass describes itself: each field that a page may set carries metadata in
the convention ``core.fieldmeta`` defines (the neuron models build theirs with
``core.neurons.params.knob``, the energy models with ``core.hardware.params.knob``).
``field_widgets`` draws one widget per such field and returns their values in the dataclass's
units; ``param_widgets`` builds the dataclass from them, so a new model (a neuron, an energy
model) gets its controls without page code. The metadata keys read:

- ``label`` and ``unit``: the widget's label, ``E_AC (pJ)`` (default: the field's name);
- ``help``: its tooltip (with ``source``: also the default and where it comes from);
- ``min``, ``max``: the range; with both, the widget is a slider, else a number input;
- ``step``: the increment;
- ``scale``: the shown unit in the stored one (the widget shows ``value / scale``, returns
  ``shown * scale``); ``min``, ``max`` and ``step`` are in the shown unit;
- ``format``: a printf-style format for the number shown (``"%.3g"``), optional;
- ``choices``: the values a text field may take (a horizontal radio; a select box beyond
  ``RADIO_CHOICES``);
- ``widget``: ``"slider"`` or ``"number"`` to override the choice above, optional;
- ``url``: the widget's key after the prefix (and the link's field name; default the field's
  name);
- ``group``: a heading drawn before the first field of each group, optional.

The field's default (in the shown unit) is the widget's first value. A field without metadata
is not drawn and keeps its default; a bool field is a toggle. Widget keys are ``key_prefix +
url_name(field)``, so a page can restore them from its link first (``app.url_state`` makes the
link's fields from the same metadata) and read them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import MISSING, Field, fields
from typing import Any, TypeVar

import streamlit as st

from core.fieldmeta import help_text, shown, si, title, url_name

T = TypeVar("T")
RADIO_CHOICES = 4  # more choices than this: a select box
_NUMBER_KEYS = ("min", "max", "step", "label", "widget")


def drawn(field: Field) -> bool:
    """Whether ``param_widgets`` draws a widget for ``field`` (its metadata describes one)."""
    meta = field.metadata
    return bool(meta.get("choices")) or any(key in meta for key in _NUMBER_KEYS) or (
        isinstance(field.default, bool))


def default_of(field: Field) -> Any:
    """The field's default value (``default_factory`` called); ``MISSING`` when it has none."""
    if field.default is not MISSING:
        return field.default
    if field.default_factory is not MISSING:
        return field.default_factory()
    return MISSING


def _number(field: Field, key: str, where: Any) -> int | float:
    """One slider or number input for a numeric field, in the shown default's type."""
    meta = field.metadata
    kind = int if isinstance(shown(field, default_of(field)), int) and isinstance(
        meta.get("step", 1), int) else float
    lo, hi, step = (None if meta.get(k) is None else kind(meta[k]) for k in ("min", "max", "step"))
    label, tip, fmt = title(field), _tip(field), meta.get("format")
    slider = meta.get("widget", "slider" if lo is not None and hi is not None else "number")
    if slider == "slider":
        return where.slider(label, lo, hi, step=step, key=key, help=tip, format=fmt)
    return where.number_input(label, lo, hi, step=step, key=key, help=tip, format=fmt)


def _tip(field: Field) -> str | None:
    """The widget's tooltip, None without one."""
    return help_text(field) or None


def widget(field: Field, key: str, where: Any = st) -> Any:
    """Draw the widget the metadata of ``field`` describes, keyed ``key``; return its value in
    the dataclass's unit."""
    meta = field.metadata
    if key not in st.session_state and default_of(field) is not MISSING:
        st.session_state[key] = shown(field, default_of(field))  # the default is the first value
    label, tip = title(field), _tip(field)
    choices = meta.get("choices")
    if choices:
        if len(choices) > RADIO_CHOICES:
            return where.selectbox(label, choices, key=key, help=tip)
        return where.radio(label, choices, key=key, help=tip, horizontal=True)
    if isinstance(default_of(field), bool):
        return where.toggle(label, key=key, help=tip)
    return si(field, _number(field, key, where))


def field_widgets(fields_: Iterable[Field], key_prefix: str, where: Any = st) -> dict[str, Any]:
    """Draw a widget per drawable field, a ``group`` heading before each new group; return
    their values by field name, in the dataclasses' units."""
    values: dict[str, Any] = {}
    group = None
    for f in fields_:
        if not drawn(f):
            continue
        if f.metadata.get("group", group) != group:
            group = f.metadata["group"]
            if group:
                where.header(group)
        values[f.name] = widget(f, key_prefix + url_name(f), where)
    return values


def param_widgets(
    cls: type[T],
    key_prefix: str,
    given: Mapping[str, Any] | None = None,
    where: Any = st,
) -> T:
    """Draw a widget per field of the dataclass ``cls`` from its metadata; return ``cls(...)``.

    ``given`` holds values the page sets itself (a time step shared by the page, decays derived
    from time constants): those fields get no widget, and names ``cls`` lacks are ignored.
    ``where`` is the container drawn into (``st``, ``st.sidebar``, a column). Building ``cls``
    may raise its ``ValueError``, which ``app.page.run_page`` shows as one line.
    """
    given = dict(given or {})
    values = {f.name: given[f.name] for f in fields(cls) if f.name in given}
    values |= field_widgets((f for f in fields(cls) if f.name not in given), key_prefix, where)
    return cls(**values)


def keep(keys: Iterable[str]) -> None:
    """Keep these widgets' values through runs that do not draw them (Streamlit otherwise
    forgets a widget's value, and a link its field, once the widget is not drawn: a neuron
    model without that parameter, say). Call before drawing them."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
