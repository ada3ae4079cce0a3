"""OpenID Connect: what an authorization code carries from the authorize
step to the token step for the ID token (OIDC Core §3.1.3.6): the client's
``nonce``, when the resident signed in (``auth_time``) and how (``amr``,
RFC 8176 values, space-separated).

The pages' sessions need no column: their sign-in time is the session row's
``created_at`` (a sign-in always starts a new row) and the methods ride in
the session's sealed data.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import civicauth.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("authorization_codes") as batch:
        batch.add_column(sa.Column("nonce", sa.String(length=2000), nullable=True))
        batch.add_column(
            sa.Column("auth_time", civicauth.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("amr", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authorization_codes") as batch:
        batch.drop_column("amr")
        batch.drop_column("auth_time")
        batch.drop_column("nonce")
