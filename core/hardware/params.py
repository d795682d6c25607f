"""What the hardware parameter dataclasses share: the knob metadata that pages, flags and links
are generated from, and the checks.

An energy model's parameters are a frozen dataclass in SI units (joules, hertz, watts). A field
a user may set is a ``knob``: its metadata says how it is shown (label, unit, and ``scale``, the
unit in SI: 1e-12 for pJ, so a shown 0.9 is 0.9e-12 J), the range a widget offers (``min``,
``max``, ``step``, in the shown unit), a help sentence, where the default comes from
(``source``), its field in a page's link (``url``), its command-line flag (``flag``) and the
group it is listed under. The convention and its readers (``title``, ``shown``, ``si``,
``help_text``, ``url_name``) are ``core.fieldmeta``'s, shared with the neuron models, so
``app.param_widgets`` draws both. The same name in two models (``e_ac_j``) is one widget and
one flag, so it must carry the same metadata in both (``tests/test_hardware_registry.py``
checks).
"""

from __future__ import annotations

from dataclasses import Field, fields
from typing import Any

from core import fieldmeta
from core.checks import check_range, check_whole, is_number
from core.fieldmeta import help_text, shown, si, title, url_name
from core.hardware.constants import E_AC_J, E_MAC_J, PJ

# The metadata readers live with the convention (core.fieldmeta); named here too, as before.
__all__ = ["OPS_GROUP", "check_knobs", "counts", "e_ac_field", "e_mac_field", "flag_name",
           "help_text", "knob", "knobs", "shown", "si", "title", "url_name"]

OPS_GROUP = "Operation energies"
HOROWITZ = "Horowitz, ISSCC 2014, Fig. 1.1.9 (45 nm)"


def knob(default: Any, label: str, help: str, lo: float, hi: float, step: float, *,
         unit: str = "", scale: float = 1.0, source: str = "", url: str | None = None,
         flag: str | None = None, group: str = "") -> Any:
    """``core.fieldmeta.knob`` with every key an energy model's field carries (see above): a
    number input, its unit and scale, its source, link name, flag and group."""
    return fieldmeta.knob(default, label, help, lo, hi, step, unit=unit, scale=scale,
                          source=source, url=url, flag=flag, group=group, widget="number")


def e_ac_field() -> Any:
    """Energy of one accumulate (a spike's weight added), shared by every count-based model."""
    return knob(E_AC_J, "E_AC", "energy of one accumulate: a spike adds its weight", 0.0,
                100.0, 0.1, unit="pJ", scale=PJ, source=f"{HOROWITZ}: 32-bit float add 0.9 pJ",
                url="eac", flag="--e-ac-pj", group=OPS_GROUP)


def e_mac_field() -> Any:
    """Energy of one multiply-accumulate (non-spike input; the ANN baseline)."""
    return knob(E_MAC_J, "E_MAC", "energy of one multiply-accumulate (and of the ANN's each)",
                0.0, 100.0, 0.1, unit="pJ", scale=PJ,
                source=f"{HOROWITZ}: 32-bit float multiply 3.7 pJ + add 0.9 pJ",
                url="emac", flag="--e-mac-pj", group=OPS_GROUP)


def knobs(params_type: type) -> tuple[Field, ...]:
    """The fields of ``params_type`` a user may set (those made by ``knob``)."""
    return tuple(f for f in fields(params_type) if "label" in f.metadata)


def counts(f: Field) -> bool:
    """Whether the knob counts something (an int default): whole numbers in its flag and check."""
    return isinstance(f.default, int) and not isinstance(f.default, bool)


def flag_name(f: Field) -> str:
    """The knob's command-line flag: ``neurons_per_pe`` -> ``--neurons-per-pe``."""
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def check_knobs(params: Any) -> None:
    """``ValueError`` (one sentence) for a knob that is not a number the hardware can have:
    whole numbers of 1 or more for counts, finite numbers of 0 or more otherwise."""
    for f in knobs(type(params)):
        value = getattr(params, f.name)
        if counts(f):
            check_whole(title(f), value, 1)
        else:
            check_range(title(f), shown(f, value) if is_number(value) else value, 0)
