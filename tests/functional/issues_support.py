"""Arranging issues and OAuth tokens directly in the database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from civicauth.clients.models import Client
from civicauth.db import utcnow
from civicauth.issues.models import Issue
from civicauth.tokens import secrets
from civicauth.tokens.models import OAuthToken
from civicauth.tokens.secrets import Kind

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
    token = secrets.mint(Kind.ACCESS)
    with ctx.db.transaction() as session:
        client = Client(
            client_id=uuid.uuid4().hex,
            client_secret_digest=None,
            name="Pothole Tracker",
            organization="Civic Apps",
            technical_contact_name="Tech",
            technical_contact_email="tech@example.com",
            technical_contact_phone="555-0100",
            admin_contact_name="Admin",
            admin_contact_email="admin@example.com",
            admin_contact_phone="555-0101",
            redirect_uris=["http://127.0.0.1:9000/callback"],
            is_public=True,
            grant_types="authorization_code",
            scopes="public write",
        )
        session.add(client)
        session.flush()
        session.add(
            OAuthToken(
                access_token_digest=secrets.digest(token),
                client_pk=client.id,
                user_id=user_id,
                grant_id=str(uuid.uuid4()),
                scope=scope,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
