"""The metadata convention of parameter dataclass fields, and its readers.

Every parameter dataclass a page, a flag or a link is generated from (the neuron models' and,
through ``core.hardware.params.knob``, the energy models') describes, with ``knob`` below, a
settable field in its ``dataclasses.field`` metadata, with these keys (all optional but
``label``):

- ``label``, ``help``: the widget's label and tooltip;
- ``min``, ``max``, ``step``: the range and increment offered, in the *shown* unit;
- ``unit``: the shown unit, written after the label (``E_AC (pJ)``);
- ``scale``: the shown unit in the dataclass's unit (1e-12 for pJ in joules: a shown 0.9 is
  0.9e-12 J); absent or 1, the value is shown as it is stored;
- ``source``: where the default comes from; when the key is present the tooltip also states
  the default in the shown unit (and the source when it is not empty);
- ``url``: the field's name in a page's link and its widget key after the page's prefix
  (default: the field's name);
- ``flag``: its command-line flag; ``group``: the heading it is listed under;
- ``choices``, ``format``, ``widget``: a text field's values, a printf format, ``"slider"`` or
  ``"number"`` (read by ``app.param_widgets``).

The readers below turn a field and a value into what a widget or flag shows and back.
"""

from __future__ import annotations

from dataclasses import Field, field
from typing import Any

__all__ = ["help_text", "knob", "shown", "si", "title", "url_name"]


def knob(default: Any, label: str, help: str, lo: float, hi: float, step: float,
         **extra: Any) -> Any:
    """A dataclass field carrying the metadata above: label, help and range, plus any of the
    optional keys (``unit``, ``scale``, ``source``, ``url``, ``flag``, ``group``, ``widget``...)
    given as keywords. The one builder of the neuron and the energy models' fields."""
    meta = {"label": label, "help": help, "min": lo, "max": hi, "step": step, **extra}
    return field(default=default, metadata=meta)


def url_name(f: Field) -> str:
    """The field's name in a page's link (and the page's widget key after its prefix)."""
    return f.metadata.get("url") or f.name


def title(f: Field) -> str:
    """The widget's label, with the unit when there is one: ``E_AC (pJ)``."""
    label, unit = f.metadata.get("label", f.name), f.metadata.get("unit")
    return f"{label} ({unit})" if unit else label


def _scale(f: Field) -> float:
    return f.metadata.get("scale", 1.0)


def shown(f: Field, value: Any) -> Any:
    """A stored value in the field's shown unit (12 significant digits once scaled); unscaled
    values are returned as they are."""
    scale = _scale(f)
    if scale == 1.0:
        return value
    return float(f"{value / scale:.12g}")


def si(f: Field, value: Any) -> Any:
    """A value given in the field's shown unit, in the dataclass's unit (SI for hardware)."""
    scale = _scale(f)
    if scale == 1.0:
        return value
    return float(value) * scale


def help_text(f: Field) -> str:
    """The tooltip: the help sentence, and, for a field naming a ``source``, its default in
    the shown unit and where that comes from."""
    meta = f.metadata
    if "source" not in meta:
        return meta.get("help") or ""
    source = meta["source"]
    default = f"default {shown(f, f.default):g} {meta.get('unit') or ''}".rstrip()
    return f"{meta.get('help', '')} ({default}{'; ' + source if source else ''})"
