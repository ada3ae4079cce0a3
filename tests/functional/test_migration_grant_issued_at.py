"""Migration 0007 backfills oauth_tokens.grant_issued_at with the earliest
issued_at of each token family, then makes it required; its downgrade drops it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from civicauth.db import utcnow
from civicauth.db.base import UTCDateTime
from civicauth.db.engine import make_engine
from civicauth.db.migrate import downgrade, upgrade
from civicauth.tokens import secrets
from tests.functional.oauth_support import register_app
from tests.token_support import legacy

# oauth_tokens as migration 0005 leaves it.
TOKENS_AT_0005 = sa.table(
    "oauth_tokens",
    sa.column("id", sa.Integer()),
    sa.column("access_token_digest", sa.String()),
    sa.column("refresh_token_digest", sa.String()),
    sa.column("client_pk", sa.Integer()),
    sa.column("user_id", sa.Integer()),
    sa.column("grant_id", sa.String()),
    sa.column("parent_id", sa.Integer()),
    sa.column("scope", sa.String()),
    sa.column("issued_at", UTCDateTime()),
    sa.column("expires_at", UTCDateTime()),
    sa.column("refresh_rotated_at", UTCDateTime()),
)


def row(pk: int, grant_id: str, issued, parent_id: int | None, *ids: int) -> dict:
    user_id, client_pk = ids
    return {
        "id": pk,
        "access_token_digest": secrets.digest(legacy(secrets.Kind.ACCESS)),
        "refresh_token_digest": secrets.digest(legacy(secrets.Kind.REFRESH)),
        "client_pk": client_pk,
        "user_id": user_id,
        "grant_id": grant_id,
        "parent_id": parent_id,
        "scope": "public",
        "issued_at": issued,
        "expires_at": issued + timedelta(hours=2),
        "refresh_rotated_at": None,
    }


def test_grant_issued_at_is_backfilled_per_family_and_required(backend, ctx, make_user):
    url = backend.database_url
    user_id, _, _ = make_user()
    ids = (user_id, register_app(ctx).pk)
    first, other = utcnow() - timedelta(days=40), utcnow() - timedelta(days=3)
    downgrade(url, "0005")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                TOKENS_AT_0005.insert(),
                [
                    row(1001, "family-a", first, None, *ids),
                    row(1002, "family-a", first + timedelta(days=20), 1001, *ids),
                    row(1003, "family-a", first + timedelta(days=39), 1002, *ids),
                    row(1004, "family-b", other, None, *ids),
                ],
            )
        upgrade(url)
        with engine.connect() as connection:
            query = sa.text(
                "SELECT id, parent_id, grant_issued_at FROM oauth_tokens "
                "WHERE id >= 1001 ORDER BY id"
            ).columns(grant_issued_at=UTCDateTime())
            found = [tuple(r) for r in connection.execute(query)]
            columns = {c["name"]: c for c in sa.inspect(connection).get_columns("oauth_tokens")}
    finally:
        engine.dispose()
    assert found == [
        (1001, None, first),
        (1002, 1001, first),  # the copy of the table kept the links between rows
        (1003, 1002, first),
        (1004, None, other),
    ]
    assert columns["grant_issued_at"]["nullable"] is False


def test_the_downgrade_drops_the_column_and_keeps_the_rows(backend, ctx, make_user):
    url = backend.database_url
    user_id, _, _ = make_user()
    ids = (user_id, register_app(ctx).pk)
    issued = utcnow() - timedelta(days=1)
    downgrade(url, "0005")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                TOKENS_AT_0005.insert(),
                [
                    row(2001, "family-c", issued, None, *ids),
                    row(2002, "family-c", issued, 2001, *ids),
                ],
            )
        upgrade(url)
        downgrade(url, "0005")
        with engine.connect() as connection:
            links = connection.execute(
                sa.text("SELECT id, parent_id FROM oauth_tokens WHERE id >= 2001 ORDER BY id")
            ).all()
            columns = {c["name"] for c in sa.inspect(connection).get_columns("oauth_tokens")}
    finally:
        engine.dispose()
        upgrade(url)
    assert [tuple(link) for link in links] == [(2001, None), (2002, 2001)]
    assert "grant_issued_at" not in columns
