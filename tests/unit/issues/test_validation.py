import math

import pytest

from civicauth.errors import ValidationFailed
from civicauth.issues.validation import (
    LAT_RANGE,
    SUMMARY_MAX,
    clean_comment,
    clean_report,
    coordinate,
)

GOOD = {"lat": 41.3, "lng": -72.9, "address": "1 Church St", "summary": "Pothole"}


def errors_of(data):
    with pytest.raises(ValidationFailed) as caught:
        clean_report(data)
    return caught.value.errors


def test_a_good_report_is_trimmed():
    new = clean_report({**GOOD, "summary": "  Pothole  ", "description": None})
    assert new.summary == "Pothole"
    assert new.description == ""
    assert (new.lat, new.lng) == (41.3, -72.9)


def test_every_missing_field_is_named_at_once():
    assert errors_of({}) == {
        "summary": ["can't be blank"],
        "address": ["can't be blank"],
        "lat": ["can't be blank"],
        "lng": ["can't be blank"],
    }


@pytest.mark.parametrize("value", ["41.3083", "-72", "0", 41, 41.5, "-0.5"], ids=lambda v: repr(v))
def test_coordinates_accept_numbers_and_decimal_text(value):
    number, errors = coordinate(value, (-180.0, 180.0))
    assert errors == []
    assert number == float(value)


@pytest.mark.parametrize(
    "value",
    ["NaN", "inf", "1e1", " 41", "41,3", "٤١", True, [41], {"lat": 1}],
    ids=lambda v: repr(v),
)
def test_coordinates_refuse_anything_but_a_number_or_decimal_text(value):
    assert coordinate(value, LAT_RANGE)[1] == ["must be a number"]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_coordinates_must_be_finite(value):
    assert coordinate(value, LAT_RANGE)[1] == ["must be between -90 and 90"]


@pytest.mark.parametrize("value", [90.0001, -91, "91"])
def test_latitude_out_of_range(value):
    assert errors_of({**GOOD, "lat": value}) == {"lat": ["must be between -90 and 90"]}


def test_blank_and_overlong_text():
    assert errors_of({**GOOD, "summary": "   "}) == {"summary": ["can't be blank"]}
    too_long = "x" * (SUMMARY_MAX + 1)
    assert errors_of({**GOOD, "summary": too_long}) == {
        "summary": [f"is too long (maximum is {SUMMARY_MAX} characters)"]
    }
    # The limit is on what was sent, before trimming, as the API document says.
    assert "summary" in errors_of({**GOOD, "summary": "x" + " " * SUMMARY_MAX})


def test_non_string_text_is_refused():
    assert errors_of({**GOOD, "address": {"street": "Church"}}) == {"address": ["must be a string"]}


def test_comment():
    assert clean_comment({"comment": " Me too "}) == "Me too"
    with pytest.raises(ValidationFailed) as caught:
        clean_comment({"comment": ""})
    assert caught.value.errors == {"comment": ["can't be blank"]}
