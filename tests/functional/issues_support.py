"""Arranging issues and OAuth tokens directly in the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from civicauth.db import utcnow
from civicauth.issues.models import Issue
from civicauth.tokens.oauth_tokens import NewToken, new_grant_id, store_token
from civicauth.tokens.secrets import Kind
from tests.functional.oauth_support import register_app

NEW_HAVEN = (41.3083, -72.9279)


def add_reporter(ctx: Any, name: str, email: str) -> int:
    """A user for a module's seeded issues (``make_user`` is per test); returns the id."""
    from civicauth.accounts.services import register_user

    with ctx.db.transaction() as session:
        return register_user(session, ctx.passwords, name=name, email=email, password="x" * 12).id


def add_issue(ctx: Any, reporter_id: int, **values: Any) -> int:
    """Store an issue as if reported; any column may be given. Returns its id."""
    now: datetime = values.pop("created_at", utcnow())
    row = {
        "summary": "Pothole",
        "description": "",
        "status": "open",
        "lat": NEW_HAVEN[0],
        "lng": NEW_HAVEN[1],
        "address": "1 Church St",
        "created_at": now,
        "updated_at": now,
        "vote_count": 0,
        "comment_count": 0,
        **values,
    }
    with ctx.db.transaction() as session:
        issue = Issue(reporter_id=reporter_id, **row)
        session.add(issue)
        session.flush()
        return issue.id


def oauth_token(ctx: Any, user_id: int, scope: str = "public") -> str:
    """A live OAuth access token for ``user_id`` carrying ``scope``, from a fresh client."""
    app = register_app(ctx, is_public=True, grant_types=["authorization_code"])
    token = ctx.tokens.mint(Kind.ACCESS)
    with ctx.db.transaction() as session:
        store_token(session, NewToken(app.pk, user_id, scope, token, None, 3600, new_grant_id()))
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
