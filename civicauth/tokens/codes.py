"""Authorization codes (RFC 6749 §4.1.2): single-use, short-lived, bound to
one client and redirect URI, stored only as digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, bindparam, exists, select, update
from sqlalchemy.orm import Session

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


class CodeRecord(NamedTuple):
    """A code's row as the token endpoint reads it: a tuple, no ORM object."""

    id: int
    client_pk: int
    user_id: int
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    auth_time: datetime | None
    amr: str | None
    expires_at: datetime


@dataclass(frozen=True)
class ClaimOutcome:
    """What claiming a code found: its record, when this exchange has it;
    the id and user of a code used before (a replay, whose tokens must end);
    neither for one malformed, never issued, purged, or another client's."""

    record: CodeRecord | None = None
    spent: tuple[int, int] | None = None


_TABLE = AuthorizationCode.metadata.tables[AuthorizationCode.__tablename__]
_MATCH = (
    _TABLE.c.code_digest == bindparam("digest"),
    _TABLE.c.client_pk == bindparam("for_client"),
)
# Built once: the claim is one conditional UPDATE that returns the row, so of
# two concurrent exchanges exactly one wins (RFC 6749 §4.1.2: single use),
# and the winner reads nothing more.
_CLAIM = (
    update(_TABLE)
    .where(*_MATCH, _TABLE.c.used_at.is_(None))
    .values(used_at=bindparam("moment"))
    .returning(*(_TABLE.c[name] for name in CodeRecord._fields))
)
_BY_ID = select(*(_TABLE.c[name] for name in CodeRecord._fields)).where(
    _TABLE.c.id == bindparam("code_id")
)
_SPENT = select(_TABLE.c.id, _TABLE.c.user_id).where(*_MATCH, _TABLE.c.used_at.is_not(None))


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


def claim_code(
    session: Session, code: str, client_pk: int, now: datetime | None = None
) -> ClaimOutcome:
    """Mark ``code`` used for the exchange by client ``client_pk``, expired
    or not (the caller refuses an expired one; it stays used, so a replay
    is still recognised). A malformed code costs no database read."""
    if secrets.keys_of(session).kind_of(code) is not secrets.Kind.CODE:
        return ClaimOutcome()
    match = {"digest": secrets.digest(code), "for_client": client_pk}
    row = session.execute(_CLAIM, {**match, "moment": now or utcnow()}).first()
    if row is not None:
        return ClaimOutcome(record=CodeRecord._make(row))
    spent = session.execute(_SPENT, match).first()
    if spent is None:
        return ClaimOutcome()
    return ClaimOutcome(spent=(spent.id, spent.user_id))


def is_expired(row: CodeRecord, now: datetime | None = None) -> bool:
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


def code_behind(session: Session, code_id: int | None) -> CodeRecord | None:
    """The code a grant began with (its tokens' ``code_id``), while it is stored."""
    if code_id is None:
        return None
    row = session.execute(_BY_ID, {"code_id": code_id}).first()
    return CodeRecord._make(row) if row is not None else None
