"""What a page does for a visitor who may not see it.

Pages for signed-in users declare a ``user: User`` parameter; the pages'
router provides it with ``signed_in_page_user``, which sends anyone else to
sign in (``routes.py`` wires both), so no handler repeats the check.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.response import Redirect, Template

from civicauth.accounts.models import User
from civicauth.context import AppContext
from civicauth.web.render import page
from civicauth.web.session import signed_in_user

AnyConnection = ASGIConnection[Any, Any, Any, Any]


class SignInRequired(Exception):
    """A page for signed-in users was asked for by a visitor who is not."""


def to_sign_in(connection: AnyConnection, _: SignInRequired) -> Redirect:
    """The answer to ``SignInRequired``: to the sign-in page, and back to this
    page afterwards."""
    return Redirect(f"/login?next={quote(connection.url.path)}", status_code=303)


def signed_in_page_user(request: AnyConnection, ctx: AppContext) -> User:
    """The ``user`` dependency of the pages: the signed-in user, or
    ``SignInRequired``. Runs in a thread (it reads the database)."""
    user = signed_in_user(request, ctx)
    if user is None:
        raise SignInRequired
    return user


def not_found(user: User | None, what: str = "page") -> Template:
    """404 alike for what does not exist and for what is someone else's, so a
    page never tells whether another user's application or token exists."""
    message = f"There is no such {what}, or it is not yours to see."
    return page("error.html", 404, status=404, message=message, user=user)


def bad_request(user: User | None, message: str) -> Template:
    return page("error.html", 400, status=400, message=message, user=user)
