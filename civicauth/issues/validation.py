"""Rules for what residents send: a new report, a comment.

Each function collects every broken rule before raising, so a client learns
about all of its bad fields at once (SeeClickFix's ``422 {"errors": ...}``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from civicauth.errors import ValidationFailed

SUMMARY_MAX = 200
ADDRESS_MAX = 300
TEXT_MAX = 10_000
LAT_RANGE = (-90.0, 90.0)
LNG_RANGE = (-180.0, 180.0)
# A coordinate sent as text (forms have nothing else): plain decimal notation,
# no exponent, NaN or infinity.
DECIMAL = r"^-?[0-9]{1,3}(\.[0-9]+)?$"


@dataclass(frozen=True, slots=True)
class NewIssue:
    summary: str
    description: str
    lat: float
    lng: float
    address: str


def _text(
    data: Mapping[str, Any], name: str, limit: int, errors: dict[str, list[str]], required: bool
) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = ["must be a string"]
        return ""
    if len(value) > limit:
        errors[name] = [f"is too long (maximum is {limit} characters)"]
    elif required and not value.strip():
        errors[name] = ["can't be blank"]
    return value.strip()


def coordinate(value: Any, bounds: tuple[float, float]) -> tuple[float, list[str]]:
    """A latitude or longitude from a number or numeric string, with its errors."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0, ["can't be blank"]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return 0.0, ["must be a number"]
    if isinstance(value, str) and not re.match(DECIMAL, value):
        return 0.0, ["must be a number"]
    try:
        number = float(value)
    except OverflowError:
        return 0.0, ["must be a number"]
    low, high = bounds
    if not math.isfinite(number) or not low <= number <= high:
        return 0.0, [f"must be between {low:g} and {high:g}"]
    return number, []


def clean_report(data: Mapping[str, Any]) -> NewIssue:
    """A new issue from raw input; raises ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {}
    summary = _text(data, "summary", SUMMARY_MAX, errors, required=True)
    description = _text(data, "description", TEXT_MAX, errors, required=False)
    address = _text(data, "address", ADDRESS_MAX, errors, required=True)
    lat, lat_errors = coordinate(data.get("lat"), LAT_RANGE)
    lng, lng_errors = coordinate(data.get("lng"), LNG_RANGE)
    errors.update({k: v for k, v in (("lat", lat_errors), ("lng", lng_errors)) if v})
    if errors:
        raise ValidationFailed(errors)
    return NewIssue(summary, description, lat, lng, address)


def clean_comment(data: Mapping[str, Any]) -> str:
    """The text of a comment; raises ValidationFailed when it is missing or too long."""
    errors: dict[str, list[str]] = {}
    comment = _text(data, "comment", TEXT_MAX, errors, required=True)
    if errors:
        raise ValidationFailed(errors)
    return comment
