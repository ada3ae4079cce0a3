"""Authorization codes (RFC 6749 §4.1.2): single-use, short-lived, bound to
one client and redirect URI, stored only as digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, exists, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from civicauth.db import utcnow
from civicauth.tokens import secrets
from civicauth.tokens.models import AuthorizationCode, OAuthToken


@dataclass(frozen=True)
class SignInFacts:
    """What an ID token says of the sign-in behind a code: the client's
    nonce, when the resident signed in, and how (RFC 8176 ``amr`` values)."""

    nonce: str | None
    auth_time: datetime | None
    amr: tuple[str, ...] = ()


# Built once (a statement with a bound parameter): building the query costs
# more than running it, on every code exchange.
_BY_DIGEST = select(AuthorizationCode).where(AuthorizationCode.code_digest == bindparam("digest"))
_TABLE = AuthorizationCode.metadata.tables[AuthorizationCode.__tablename__]
# The claim, on the table (no ORM bookkeeping: the row is updated in memory below).
_CLAIM = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.used_at.is_(None))
    .values(used_at=bindparam("moment"))
)


def store_code(
    session: Session,
    code: str,
    *,
    client_pk: int,
    user_id: int,
    redirect_uri: str,
    scope: str,
    ttl: int,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
    openid: SignInFacts | None = None,
) -> AuthorizationCode:
    """Store a code minted by ``TokenKeys.mint(Kind.CODE)``, as its digest only.

    ``redirect_uri`` is the one the authorization request named, which the
    token request must repeat (RFC 6749 §4.1.3), or '' when it named none.
    ``openid`` is what an OpenID Connect request's ID token will say of
    the sign-in (OIDC Core §3.1.3.6).
    """
    now = utcnow()
    row = AuthorizationCode(
        code_digest=secrets.digest(code),
        client_pk=client_pk,
        user_id=user_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        nonce=openid.nonce if openid else None,
        auth_time=openid.auth_time if openid else None,
        amr=" ".join(openid.amr) if openid and openid.amr else None,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    session.add(row)
    session.flush()
    return row


def find_code(session: Session, code: str) -> AuthorizationCode | None:
    """The code's row, used or not, expired or not; None for a malformed or
    unknown code (a malformed one costs no database read)."""
    if secrets.keys_of(session).kind_of(code) is not secrets.Kind.CODE:
        return None
    return session.scalar(_BY_DIGEST, {"digest": secrets.digest(code)})


def claim_code(session: Session, row: AuthorizationCode, now: datetime | None = None) -> bool:
    """Mark the code used; False if it already was. One conditional UPDATE, so
    of two concurrent exchanges exactly one wins (RFC 6749 §4.1.2: single use)."""
    moment = now or utcnow()
    session.flush()  # changes made to the row before count, as an ORM update would see them
    result = session.execute(_CLAIM, {"row_id": row.id, "moment": moment})
    claimed = bool(result.rowcount == 1)  # type: ignore[attr-defined]
    if claimed:
        # The row in memory now says what the database says; set as committed
        # so that the flush does not write the same column a second time.
        set_committed_value(row, "used_at", moment)
    return claimed


def is_expired(row: AuthorizationCode, now: datetime | None = None) -> bool:
    return row.expires_at <= (now or utcnow())


def dead_codes(now: datetime) -> ColumnElement[bool]:
    """SQL for the codes the upkeep deletes: expired, used or not (a replay
    of one is refused as unknown, as it was refused as expired); except an
    OpenID Connect code (one that says how the resident signed in) while a
    token of its grant still refers to it: the ID tokens of the grant's
    refreshes repeat its sign-in (OIDC Core §12.2)."""
    says_sign_in = AuthorizationCode.auth_time.is_not(None) | AuthorizationCode.amr.is_not(None)
    referred_to = exists().where(OAuthToken.code_id == AuthorizationCode.id)
    return (AuthorizationCode.expires_at <= now) & ~(says_sign_in & referred_to)


def code_behind(session: Session, row: OAuthToken) -> AuthorizationCode | None:
    """The code the grant of ``row`` began with, while it is stored."""
    return session.get(AuthorizationCode, row.code_id) if row.code_id is not None else None
