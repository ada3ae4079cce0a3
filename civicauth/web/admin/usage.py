"""``/admin/usage``: API requests per day by method over 30 days, per app,
and who still sends passwords over HTTP Basic; and each app's own chart on
its page (``app_usage``, one of the app page's parts)."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Template
from sqlalchemy.orm import Session

from civicauth.accounts.models import User
from civicauth.clients.models import Client
from civicauth.context import AppContext
from civicauth.usage.reports import (
    METHODS,
    PERIOD_DAYS,
    basic_agents,
    basic_users,
    daily_usage,
    period,
    usage_by_app,
)
from civicauth.web.render import page
from civicauth.web.usage_chart import LABELS, usage_chart


@get("/usage", sync_to_thread=True, include_in_schema=False)
def usage_page(ctx: AppContext, user: User) -> Template:
    days = period()
    with ctx.db.read() as session:
        usage = daily_usage(session, days)
        context: dict[str, Any] = {
            "apps": usage_by_app(session, days[0]),
            "basic_users": basic_users(session, days[0]),
            "basic_agents": basic_agents(session, days[0]),
        }
    chart = usage_chart(
        usage, "usage-all", f"API requests per day by method, last {len(days)} days"
    )
    return page(
        "admin/usage.html",
        user=user,
        section="usage",
        usage=usage,
        chart=chart,
        methods=METHODS,
        labels=LABELS,
        period_days=PERIOD_DAYS,
        flush_seconds=ctx.settings.usage_flush_seconds,
        **context,
    )


def app_usage(ctx: AppContext, session: Session, client: Client) -> dict[str, Any]:
    """What an app's page shows of its usage: its OAuth requests per day
    over 30 days, as a chart and a table (admin/app_usage.html)."""
    usage = daily_usage(session, period(), client.client_id)
    title = f"API requests of {client.name} per day, last {PERIOD_DAYS} days"
    chart = usage_chart(usage, "usage-app", title, methods=("oauth",))
    return {"app_usage": usage, "app_usage_chart": chart}


ROUTES = [usage_page]
