"""Getting back in and proving an address: password reset by mail, email
confirmation at sign-up, and email change confirmed at the new address.

Each service queues its mail in the caller's transaction (``enqueue``) and
never commits. The links carry single-use tokens (account_tokens.py).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicauth.accounts import services
from civicauth.accounts.account_tokens import (
    LinkInvalid,
    issue_link,
    live_link,
    retire_links,
    use_link,
)
from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User
from civicauth.accounts.passwords import Passwords
from civicauth.accounts.validation import email_errors, normalize_email, password_errors
from civicauth.db import utcnow
from civicauth.errors import ValidationFailed
from civicauth.mail import enqueue

SAME_EMAIL = "is already the email of your account"


def request_password_reset(session: Session, base_url: str, email: str) -> bool:
    """Mail a reset link to the account with ``email``; True if there is one.

    The caller must answer alike either way (the page does this work after
    its answer has gone, so not even the time tells)."""
    user = services.find_by_email(session, email)
    if user is None:
        return False
    token = issue_link(session, user, "password_reset")
    link = f"{base_url}/password/reset?token={token}"
    enqueue(session, user.email, "password_reset", name=user.name, link=link)
    return True


def reset_password(
    session: Session,
    passwords: Passwords,
    token: str,
    new_password: str,
    confirmation: str,
    *,
    address: str,
) -> User:
    """Use the reset link and set the new password (services.set_password:
    a new security stamp ends every session and the old password's Basic
    use); mails a notice. Raises LinkInvalid first, then ValidationFailed
    for a password that breaks a rule (the link is then still unused)."""
    live_link(session, token, ("password_reset",))
    if errors := password_errors(new_password, confirmation):
        raise ValidationFailed(errors)
    row = use_link(session, token, ("password_reset",))
    user = session.get_one(User, row.user_id)
    services.set_password(
        session, passwords, user, new_password, confirmation, notice="password_reset_done"
    )
    # The link reached the account's address: that proves the address, as
    # following a confirmation link would.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    record_event(session, "password_reset", user_id=user.id, address=address)
    return user


def send_verification(session: Session, base_url: str, user: User) -> None:
    """Mail a link that confirms the account's current address."""
    token = issue_link(session, user, "verify_email")
    link = f"{base_url}/email/verify?token={token}"
    enqueue(session, user.email, "verify_email", name=user.name, link=link)


def request_email_change(
    session: Session, base_url: str, user: User, new_email: str, *, address: str
) -> None:
    """Start changing the account's email: a link to the new address and a
    notice to the old one; the old address stays until the link is used.

    When another account has the new address, the requester is told the
    same as for a free one (no account discovery) but the new address gets
    a notice with no link instead. Raises ValidationFailed for a malformed
    address or the current one."""
    if messages := email_errors(new_email):
        raise ValidationFailed({"email": messages})
    new_email = new_email.strip()
    if normalize_email(new_email) == user.email_canonical:
        raise ValidationFailed({"email": [SAME_EMAIL]})
    if services.find_by_email(session, new_email) is not None:
        enqueue(session, new_email, "email_in_use", forgot_link=f"{base_url}/password/forgot")
    else:
        token = issue_link(session, user, "change_email", email=new_email)
        link = f"{base_url}/email/verify?token={token}"
        enqueue(session, new_email, "email_change_confirm", name=user.name, link=link)
    enqueue(session, user.email, "email_change_requested", name=user.name, new_email=new_email)
    record_event(
        session, "email_change_requested", user_id=user.id, address=address, detail=new_email
    )


def confirm_email(session: Session, token: str, *, address: str) -> User:
    """Use a confirmation link: the address it was mailed to is confirmed,
    and for an email change it becomes the account's (every other link of
    the account dies). Raises LinkInvalid, also when another account has
    taken the new address since the link was mailed."""
    row = use_link(session, token, ("verify_email", "change_email"))
    user = session.get_one(User, row.user_id)
    if row.purpose == "verify_email":
        user.email_verified_at = utcnow()
        record_event(session, "email_verified", user_id=user.id, address=address, detail=user.email)
        return user
    old = user.email
    try:
        services.set_email(session, user, row.email)
    except ValidationFailed as exc:
        raise LinkInvalid() from exc
    retire_links(session, user.id)
    detail = f"{old} → {user.email}"
    record_event(session, "email_changed", user_id=user.id, address=address, detail=detail)
    return user
