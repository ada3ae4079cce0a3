"""Standing consent: which user let which application act with which scopes,
and since when. A user who already granted the scopes is not asked again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicauth.clients.models import Client
from civicauth.clients.scopes import scope_list
from civicauth.db import utcnow
from civicauth.tokens.models import Authorization, AuthorizationCode
from civicauth.tokens.oauth_tokens import revoke_for_user_and_client


def find_authorization(session: Session, user_id: int, client_pk: int) -> Authorization | None:
    return session.scalar(
        select(Authorization).where(
            Authorization.user_id == user_id, Authorization.client_pk == client_pk
        )
    )


def has_consent(session: Session, user_id: int, client_pk: int, scope: str) -> bool:
    """True when the user already granted every one of these scopes to the app."""
    found = find_authorization(session, user_id, client_pk)
    return found is not None and set(scope_list(scope)) <= set(scope_list(found.scope))


def record_consent(session: Session, user_id: int, client_pk: int, scope: str) -> Authorization:
    """Add the scopes to the user's standing consent for this app."""
    found = find_authorization(session, user_id, client_pk)
    if found is None:
        try:
            with session.begin_nested():
                found = Authorization(user_id=user_id, client_pk=client_pk, scope=scope)
                session.add(found)
                session.flush()
            return found
        except IntegrityError:
            # A concurrent approval created it first: add to that one.
            found = find_authorization(session, user_id, client_pk)
            assert found is not None
    found.scope = " ".join(scope_list(f"{found.scope} {scope}"))
    session.flush()
    return found


def authorized_clients_for(session: Session, user_id: int) -> list[tuple[Client, Authorization]]:
    """The apps a user has authorized, with the scopes and since when, newest first."""
    rows = session.execute(
        select(Client, Authorization)
        .join(Authorization, Authorization.client_pk == Client.id)
        .where(Authorization.user_id == user_id)
        .order_by(Authorization.created_at.desc(), Authorization.id.desc())
    )
    return [(client, authorization) for client, authorization in rows.tuples()]


def revoke_authorization(
    session: Session, user_id: int, client_pk: int, now: datetime | None = None
) -> bool:
    """Forget the consent and end every token and unused code of this user for
    this app; True if there was anything to revoke."""
    moment = now or utcnow()
    revoked = revoke_for_user_and_client(session, user_id, client_pk, moment)
    session.execute(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.user_id == user_id,
            AuthorizationCode.client_pk == client_pk,
            AuthorizationCode.used_at.is_(None),
        )
        .values(used_at=moment)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        delete(Authorization)
        .where(Authorization.user_id == user_id, Authorization.client_pk == client_pk)
        .execution_options(synchronize_session=False)
    )
    return bool(revoked or result.rowcount)  # type: ignore[attr-defined]
