"""core.checks: each predicate on the hostile numbers, each check's sentence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.checks import (
    MAX_FLOAT32,
    check_choice,
    check_finite,
    check_positive,
    check_probability,
    check_range,
    check_whole,
    in_range,
    is_finite,
    is_number,
    is_whole,
)


@pytest.mark.parametrize("value", [0, -3, 2.5, math.nan, math.inf, np.float64(1.0), np.int64(7)])
def test_numbers_are_ints_and_floats(value):
    assert is_number(value)


@pytest.mark.parametrize("value", [True, False, None, "1", [1], np.bool_(True)])
def test_bools_strings_and_none_are_not_numbers(value):
    assert not is_number(value) and not is_finite(value) and not is_whole(value)


def test_is_finite_refuses_nan_and_infinities():
    assert is_finite(0) and is_finite(-1e300) and is_finite(np.float32(2.0))
    assert not any(is_finite(v) for v in (math.nan, math.inf, -math.inf))


def test_is_whole_takes_whole_floats_and_bounds():
    assert is_whole(2) and is_whole(2.0) and is_whole(-4) and is_whole(np.int64(3))
    assert is_whole(10**30)  # beyond 64 bits is still whole
    assert not any(is_whole(v) for v in (2.5, math.nan, math.inf, -math.inf))
    assert is_whole(1, 1, 20) and is_whole(20, 1, 20)
    assert not is_whole(0, 1, 20) and not is_whole(21, 1, 20)


def test_in_range_bounds_open_and_closed():
    assert in_range(0, 0, 1) and in_range(1, 0, 1)
    assert not in_range(0, 0, 1, low_open=True) and not in_range(1, 0, 1, high_open=True)
    assert in_range(5) and in_range(-5, high=0) and not in_range(5, high=0)
    assert not in_range(math.nan) and not in_range(math.inf, 0)


def test_check_whole_returns_an_int_and_names_the_field():
    assert check_whole("hidden", 3.0, 1) == 3 and type(check_whole("hidden", 3.0, 1)) is int
    with pytest.raises(ValueError) as exc:
        check_whole("hidden", 0, 1)
    assert str(exc.value) == "hidden must be a whole number of at least 1 (got 0)."
    with pytest.raises(ValueError) as exc:
        check_whole("seed", -1, 0, 2**32 - 1)
    assert str(exc.value) == "seed must be a whole number from 0 to 4,294,967,295 (got -1)."
    with pytest.raises(ValueError, match=r"^n must be a whole number of at most 5 \(got 6\)\.$"):
        check_whole("n", 6, high=5)
    with pytest.raises(ValueError, match=r"^n must be a whole number \(got 1\.5\)\.$"):
        check_whole("n", 1.5)
    with pytest.raises(ValueError, match=r"\(got True\)"):
        check_whole("n", True)


def test_check_finite():
    assert check_finite("x", -2.5) == -2.5
    with pytest.raises(ValueError, match=r"^x must be a finite number \(got nan\)\.$"):
        check_finite("x", math.nan)
    with pytest.raises(ValueError, match=r"\(got 'a'\)"):
        check_finite("x", "a")


@pytest.mark.parametrize(
    ("kwargs", "sentence"),
    [
        ({"low": 0, "low_open": True}, "greater than 0"),
        ({"low": 0}, "0 or more"),
        ({"high": 5}, "at most 5"),
        ({"high": 5, "high_open": True}, "less than 5"),
        ({"low": 0, "high": 1}, "between 0 and 1"),
        ({"low": 0, "high": 1, "low_open": True, "high_open": True}, "strictly between 0 and 1"),
        ({"low": 0, "high": 1, "low_open": True}, "a positive number up to 1"),
        ({"low": 1, "high": 5, "low_open": True}, "greater than 1 and at most 5"),
        ({"low": 0.05, "high": 0.9, "high_open": True}, "0.05 or more and less than 0.9"),
        ({}, "a finite number"),
    ],
)
def test_check_range_says_the_interval(kwargs, sentence):
    with pytest.raises(ValueError) as exc:
        check_range("The value", math.nan, **kwargs)
    assert str(exc.value) == f"The value must be {sentence} (got nan)."


def test_check_range_passes_values_inside_and_refuses_the_ends_it_excludes():
    assert check_range("v", 1, 0, 1) == 1
    with pytest.raises(ValueError, match="strictly between"):
        check_range("v", 1, 0, 1, low_open=True, high_open=True)
    with pytest.raises(ValueError, match=r"\(got inf\)"):
        check_range("v", math.inf, 0)


def test_check_positive_and_the_float32_cap():
    assert check_positive("lr", 1e-3) == 1e-3
    with pytest.raises(ValueError, match=r"^The threshold must be greater than 0 \(got 0\)\.$"):
        check_positive("The threshold", 0)
    with pytest.raises(ValueError) as exc:
        check_positive("lr", 1e39, MAX_FLOAT32)
    assert str(exc.value) == "lr must be a positive number up to 3.4e+38 (got 1e+39)."


def test_check_probability_with_and_without_its_ends():
    assert check_probability("p", 0) == 0 and check_probability("p", 1) == 1
    with pytest.raises(ValueError) as exc:
        check_probability("beta", 1.5, hint="1 means no decay")
    assert str(exc.value) == "beta must be between 0 and 1 (got 1.5); 1 means no decay."
    with pytest.raises(ValueError, match="a positive number up to 1 "):
        check_probability("The maximum rate", 0, zero=False)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        check_probability("beta2", 1, zero=False, one=False)


def test_check_choice_lists_the_choices():
    assert check_choice("The reset", "soft", ("hard", "soft")) == "soft"
    with pytest.raises(ValueError) as exc:
        check_choice("The reset", "sideways", ("hard", "soft"))
    assert str(exc.value) == "The reset must be one of hard, soft (got 'sideways')."


def test_a_long_value_is_cut_to_one_short_line():
    with pytest.raises(ValueError) as exc:
        check_choice("name", "x" * 500, ("a",))
    message = str(exc.value)
    assert len(message) < 120 and "\n" not in message and "…" in message
