"""The append-only security audit log."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civicauth.accounts.models import AuditEvent

_TABLE = AuditEvent.metadata.tables[AuditEvent.__tablename__]
_INSERT = insert(_TABLE)  # built once: every token request writes one

# The events the "Password & Security" page knows how to describe.
EVENTS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in attempt",
    "basic_auth_failed": "Failed API sign-in attempt",
    "app_authorized": "Authorized an application",
    "app_revoked": "Revoked an application",
    "token_issued": "Token issued to an application",
    "token_revoked": "Token revoked",
    "pat_created": "Created a personal access token",
    "pat_revoked": "Revoked a personal access token",
    "password_changed": "Changed password",
    "password_change_failed": "Wrong current password when changing password",
    "password_reset": "Reset password with a mailed link",
    "email_verified": "Confirmed email address",
    "email_change_requested": "Asked to change email address",
    "email_change_failed": "Wrong current password when changing email address",
    "email_changed": "Changed email address",
    "password_confirm_failed": "Wrong password when confirming it for a sensitive action",
    "session_ended": "Signed out another session",
    "other_sessions_ended": "Signed out every other session",
    "signed_out_by_app": "Signed out by an application (OpenID Connect logout)",
    # Second factors
    "second_factor_added": "Added a second factor",
    "second_factor_removed": "Removed a second factor",
    "second_factors_reset": "Every second factor removed by an operator",
    "second_factor_failed": "Wrong second-factor code or key",
    "recovery_code_used": "Used a recovery code",
    "recovery_codes_regenerated": "Made new recovery codes",
    # The operator console (and its commands); operator_id says who acted.
    "operator_granted": "Made an operator",
    "operator_revoked": "No longer an operator",
    "account_locked": "Account locked by an operator",
    "account_unlocked": "Account unlocked by an operator",
    "sign_in_locked": "Sign-in refused: the account is locked",
    "app_approved": "Application approved by an operator",
    "app_rejected": "Application rejected by an operator",
    "app_change_approved": "Change to an application approved by an operator",
    "app_change_rejected": "Change to an application rejected by an operator",
    "app_suspended": "Application suspended by an operator",
    "app_reinstated": "Application reinstated by an operator",
    "reset_link_sent": "Password reset link mailed by an operator",
    "sessions_ended": "Every session signed out by an operator",
}


def record_event(
    session: Session,
    event: str,
    *,
    user_id: int | None,
    address: str | None = None,
    client_id: str | None = None,
    detail: str = "",
    operator_id: int | None = None,
) -> None:
    """Append one event; ``operator_id`` is the operator who did it, for what
    the operator console (or an operator's command) does."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    # One INSERT now, not an ORM object flushed later: nothing reads the new
    # row back, and the flush costs several times the statement (every
    # token request writes one of these).
    session.execute(
        _INSERT,
        {
            "user_id": user_id,
            "event": event,
            "address": address,
            "client_id": client_id,
            "detail": detail[:500],
            "operator_id": operator_id,
        },
    )


def recent_events(session: Session, user_id: int, limit: int = 20) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.user_id == user_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
