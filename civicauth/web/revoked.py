"""Where a page goes after it revoked a credential (a password, a personal
access token, an application's grant)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.plugins.flash import flash
from litestar.response import Redirect

from civicauth.context import AppContext


def back_after_revoking(
    request: Request[Any, Any, Any], ctx: AppContext, user_id: int, message: str, back: str
) -> Redirect:
    """The revocation is committed: this process forgets the user's cached
    credentials at once, every other worker asks the database again within a
    second (auth/cache.py); then back to ``back`` with ``message``."""
    ctx.forget_user(user_id)
    flash(request, message, category="success")
    return Redirect(back, status_code=303)
