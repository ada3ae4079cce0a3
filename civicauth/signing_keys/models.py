"""The signing key rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicauth.db import Base, utcnow

RS256, ES256 = "RS256", "ES256"
# RS256 first: OpenID Connect Core 1.0 §15.1 makes it the one every provider
# supports, so it is the default; ES256 for apps that ask for it.
ALGORITHMS = (RS256, ES256)


class SigningKey(Base):
    """One key pair for one algorithm. Which key signs is not stored but
    derived from these times (civicauth/signing_keys/services.py), so that
    every worker, reading the same rows at the same time, picks the same key.

    A key is published (in the JWKS) from ``created_at``; it signs from
    ``signs_from`` until the ``signs_from`` of the next generation of its
    algorithm; it stays published until every token it signed has expired,
    or until an operator retires it (``retired_at``).
    """

    __tablename__ = "signing_keys"
    # Two workers creating the first key at once, or two rotations at once,
    # cannot make two keys of one generation: the second insert fails.
    __table_args__ = (UniqueConstraint("alg", "generation", name="uq_signing_keys_alg_generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The RFC 7638 thumbprint of the public key.
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(8))
    # 1 for the first key of its algorithm, one more for each rotation.
    generation: Mapped[int] = mapped_column()
    # The public JWK (RFC 7517), with kid, alg and use: what the JWKS shows.
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The private JWK, sealed with civicauth/keys.py under a key derived from
    # the secret key and bound to the kid; emptied when the key is retired.
    private_jwk_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signs_from: Mapped[datetime] = mapped_column()
    retired_at: Mapped[datetime | None] = mapped_column()
