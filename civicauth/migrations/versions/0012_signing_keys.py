"""OpenID Connect: signing keys, and each app's logout URIs and ID token algorithm.

``signing_keys`` holds the keys that sign ID tokens (private parts sealed
under the secret key); ``clients`` gains ``post_logout_redirect_uris`` (a JSON
list, like ``redirect_uris``) and ``id_token_signed_response_alg``.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import civicauth.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, civicauth.db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=8), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_jwk_sealed", sa.LargeBinary(), nullable=False),
        _when("created_at", False),
        _when("signs_from", False),
        _when("retired_at", True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_signing_keys_kid")),
        sa.UniqueConstraint("alg", "generation", name="uq_signing_keys_alg_generation"),
    )
    # Existing apps: no logout URIs, RS256 (OpenID Connect Registration 1.0 §2's default).
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("post_logout_redirect_uris", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "id_token_signed_response_alg",
                sa.String(length=8),
                server_default="RS256",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("id_token_signed_response_alg")
        batch_op.drop_column("post_logout_redirect_uris")
    op.drop_table("signing_keys")
