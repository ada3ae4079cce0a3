"""Reading request input the way SeeClickFix clients send it: JSON, form or multipart."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

from civicauth.errors import ValidationFailed

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MalformedBody(Exception):
    """The body could not be read as its content type claims."""


async def read_input(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The request's parameters as a flat dict; repeated form keys keep the last."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in FORM_TYPES:
        form = await request.form()
        return {key: form.get(key) for key in form}
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = await request.json()
    except SerializationException:
        raise MalformedBody("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise MalformedBody("The request body must be a JSON object.")
    return data


def text_field(data: dict[str, Any], name: str, errors: dict[str, list[str]]) -> str | None:
    """A string parameter, or None when absent; a non-string is a field error."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        errors.setdefault(name, []).append("must be a string")
        return None
    return value


def require_text(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """Each named parameter as a string; raises ValidationFailed naming the bad ones."""
    errors: dict[str, list[str]] = {}
    values = {name: text_field(data, name, errors) for name in names}
    if errors:
        raise ValidationFailed(errors)
    return {name: value or "" for name, value in values.items()}
