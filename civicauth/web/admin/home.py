"""``/admin``: the console's start page."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from civicauth.accounts.models import User
from civicauth.clients import queue
from civicauth.context import AppContext
from civicauth.web.render import page


@get("/", sync_to_thread=True, include_in_schema=False)
def console_home(ctx: AppContext, user: User) -> Template:
    with ctx.db.read() as session:
        waiting = queue.waiting_count(session)
    return page("admin/home.html", user=user, section="", pending_count=waiting)


ROUTES = [console_home]
