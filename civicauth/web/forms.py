"""Reading HTML form posts: one value per field, as text."""

from __future__ import annotations

from typing import Any, TypeGuard

from litestar import Request

from civicauth.auth.middleware import client_address as address_of

MAX_FIELD = 4096


async def form_fields(request: Request[Any, Any, Any], *names: str) -> dict[str, str]:
    """The named fields as stripped-of-nothing strings ('' when absent or not text)."""
    form = await request.form()
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        values[name] = value[:MAX_FIELD] if _is_text(value) else ""
    return values


def _is_text(value: object) -> TypeGuard[str]:
    # No form field holds NUL, and PostgreSQL cannot store it in text.
    return isinstance(value, str) and "\x00" not in value


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address (behind a trusted proxy, the one it forwarded)."""
    return address_of(request.scope)


async def form_choices(request: Request[Any, Any, Any], name: str) -> list[str]:
    """Every text value of a repeated field (checkboxes), in order, without repeats."""
    form = await request.form()
    values = form.getall(name) if name in form else []
    return list(dict.fromkeys(v[:MAX_FIELD] for v in values if _is_text(v)))[:20]
