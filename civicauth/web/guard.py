"""What a page does for a visitor who may not see it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.response import Redirect, Template

from civicauth.accounts.models import User
from civicauth.web.render import page


def to_sign_in(connection: ASGIConnection[Any, Any, Any, Any]) -> Redirect:
    """To the sign-in page, and back to this page afterwards."""
    return Redirect(f"/login?next={quote(connection.url.path)}", status_code=303)


def not_found(user: User | None, what: str = "page") -> Template:
    """404 alike for what does not exist and for what is someone else's, so a
    page never tells whether another user's application or token exists."""
    message = f"There is no such {what}, or it is not yours to see."
    return page("error.html", 404, status=404, message=message, user=user)


def bad_request(user: User | None, message: str) -> Template:
    return page("error.html", 400, status=400, message=message, user=user)
