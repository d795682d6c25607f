"""The URL fields every page declares: parsing, clamping, choices, lists, formatting."""

from __future__ import annotations

import pytest

from app.url_state import Field


@pytest.mark.parametrize(("field", "text", "value"), [
    (Field(1.0, 0.0, 5.0), "2.5", 2.5),
    (Field(1.0, 0.0, 5.0), "99", 5.0),  # clamped
    (Field(10, 1, 100), "7.6", 8),  # ints round
    (Field(False), "1", True),
    (Field(True), "false", False),
    (Field(0.03, choices=(0.01, 0.03, 0.1)), "0.1", 0.1),
    (Field(None, 1, None, kind=int), "12", 12),
    (Field(None, 1, None, kind=int), "none", None),
    (Field([], 1, None, kind=int, many=True), "3,5", [3, 5]),
    (Field([], many=True), "a, b", ["a", "b"]),
    (Field("x", choices=("x", "y")), "y", "y"),
])
def test_parse(field: Field, text: str, value) -> None:
    assert field.parse(text) == value


@pytest.mark.parametrize(("field", "text"), [
    (Field(1.0), "banana"), (Field(1.0), "nan"), (Field(1.0), "inf"), (Field(3), "1e999"),
    (Field(False), "yes please"), (Field(0.03, choices=(0.01, 0.03)), "0.05"),
    (Field("x", choices=("x", "y")), "z"), (Field([], kind=int, many=True), "1,two"),
])
def test_garbage_is_a_value_error(field: Field, text: str) -> None:
    with pytest.raises(ValueError):
        field.parse(text)


@pytest.mark.parametrize(("field", "value", "text"), [
    (Field(1.0), 1e-6, "1e-06"), (Field(1.0), 0.25, "0.25"), (Field(False), True, "1"),
    (Field([], many=True), ["a", "b"], "a,b"), (Field(1.0), 1 / 3, repr(1 / 3)),
])
def test_format_round_trips(field: Field, value, text: str) -> None:
    assert field.format(value) == text
    assert field.parse(text) == value
