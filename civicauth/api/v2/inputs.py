"""Reading request input the way SeeClickFix clients send it: JSON, form or multipart."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

from civicauth.errors import ValidationFailed

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MalformedBody(Exception):
    """The body could not be read as its content type claims (400), or its
    content type is not one the API reads (415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


NUL_ERROR = "must not contain NUL characters"


def holds_nul(value: Any) -> bool:
    """Whether a string anywhere in a parameter's value holds NUL, which no
    field means and PostgreSQL cannot store in text."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


def _refuse_nul(data: dict[str, Any]) -> dict[str, Any]:
    errors = {key: [NUL_ERROR] for key, value in data.items() if holds_nul({key: value})}
    if errors:
        raise ValidationFailed(errors)
    return data


async def read_input(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The request's parameters as a flat dict; repeated form keys keep the last.
    A parameter holding NUL anywhere is a field error (422)."""
    return _refuse_nul(await _read(request))


async def _read(request: Request[Any, Any, Any]) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in FORM_TYPES:
        form = await request.form()
        return {key: form.get(key) for key in form}
    body = await request.body()
    if not body.strip():
        return {}
    if content_type not in JSON_TYPES:
        # JSON only when the client says so: a cross-site HTML form may post
        # text/plain that happens to be JSON, and must not be read as such.
        raise MalformedBody(
            f"Send the body as {', '.join(JSON_TYPES + FORM_TYPES)}, not "
            f"{content_type or 'without a Content-Type'}.",
            status=415,
        )
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
