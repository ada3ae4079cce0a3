"""User accounts: register, authenticate, update, change password.

Services never commit: the request edge owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicauth.accounts.audit import record_event
from civicauth.accounts.models import User, new_security_stamp
from civicauth.accounts.passwords import Passwords
from civicauth.accounts.validation import (
    email_errors,
    name_errors,
    normalize_email,
    password_errors,
)
from civicauth.accounts.web_sessions import end_sessions
from civicauth.db import utcnow
from civicauth.errors import InvalidCredentials, NotFound, ValidationFailed
from civicauth.mail import enqueue

TAKEN = "has already been taken"
INCORRECT = "is incorrect"
EMAIL_NEEDS_LINK = (
    "is changed on the Password & Security page, which mails a link to the new address"
)


def get_user(session: Session, user_id: int) -> User:
    """The user with this id; raises NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id}")
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email_canonical == normalize_email(email)))


def _email_taken(session: Session, email: str, except_id: int | None = None) -> bool:
    user = find_by_email(session, email)
    return user is not None and user.id != except_id


def register_user(
    session: Session,
    passwords: Passwords,
    *,
    name: str,
    email: str,
    password: str,
    password_confirmation: str | None = None,
) -> User:
    """Create a user; raises ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {}
    if messages := name_errors(name):
        errors["name"] = messages
    if messages := email_errors(email):
        errors["email"] = messages
    elif _email_taken(session, email):
        errors["email"] = [TAKEN]
    errors.update(password_errors(password, password_confirmation))
    taken_only = errors == {"email": [TAKEN]}
    if errors and not taken_only:
        raise ValidationFailed(errors)
    # A taken email pays argon2 like a new one: the time of the answer must
    # not tell which emails have accounts.
    password_hash = passwords.hash(password)
    if taken_only:
        raise ValidationFailed(errors)
    user = User(
        name=name.strip(),
        email=email.strip(),
        email_canonical=normalize_email(email),
        password_hash=password_hash,
    )
    _flush_unique(session, user)
    return user


def _flush_unique(session: Session, user: User) -> None:
    """Flush, turning a lost race on the unique email into a validation error."""
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        raise ValidationFailed({"email": [TAKEN]}) from exc


def authenticate(session: Session, passwords: Passwords, email: str, password: str) -> User:
    """The user these credentials belong to; raises InvalidCredentials.

    An unknown email costs the same argon2 work as a known one. A hash made
    with older parameters is replaced on success.
    """
    user = find_by_email(session, email)
    if user is None:
        passwords.burn(password)
        raise InvalidCredentials()
    if not passwords.verify(user.password_hash, password):
        raise InvalidCredentials(user.id)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    return user


def check_sign_in(
    session: Session,
    passwords: Passwords,
    email: str,
    password: str,
    *,
    address: str,
    failed_event: str,
) -> User | None:
    """The user these credentials belong to, or None once ``failed_event`` is
    recorded. A known and an unknown email fail alike: argon2 and one audit
    row (``user_id`` null when no account has the email), so neither the
    time taken nor what is written tells whether the email has an account."""
    try:
        return authenticate(session, passwords, email, password)
    except InvalidCredentials as exc:
        record_event(session, failed_event, user_id=exc.user_id, address=address)
        return None


def update_profile(
    session: Session, user: User, *, name: str | None = None, email: str | None = None
) -> User:
    errors: dict[str, list[str]] = {}
    if name is not None and (messages := name_errors(name)):
        errors["name"] = messages
    if email is not None:
        if messages := email_errors(email):
            errors["email"] = messages
        elif normalize_email(email) != user.email_canonical:
            # A new address takes effect only once a link mailed to it is
            # followed (accounts/recovery.py), never by a profile update.
            errors["email"] = [EMAIL_NEEDS_LINK]
    if errors:
        raise ValidationFailed(errors)
    if name is not None:
        user.name = name.strip()
    _flush_unique(session, user)
    return user


def set_email(session: Session, user: User, email: str) -> User:
    """Give the account a new address, confirmed now (its link was followed);
    raises ValidationFailed when another account has taken it meanwhile."""
    if _email_taken(session, email, except_id=user.id):
        raise ValidationFailed({"email": [TAKEN]})
    user.email = email.strip()
    user.email_canonical = normalize_email(email)
    user.email_verified_at = utcnow()
    _flush_unique(session, user)
    return user


def change_password(
    session: Session,
    passwords: Passwords,
    user: User,
    *,
    current_password: str,
    new_password: str,
    confirmation: str | None,
) -> User:
    """Check the current password, then ``set_password``; raises
    ValidationFailed (``current_password`` when it is wrong)."""
    if not passwords.verify(user.password_hash, current_password):
        raise ValidationFailed({"current_password": [INCORRECT]})
    return set_password(session, passwords, user, new_password, confirmation)


def set_password(
    session: Session,
    passwords: Passwords,
    user: User,
    new_password: str,
    confirmation: str | None,
    *,
    notice: str = "password_changed",
) -> User:
    """The one way a password is set (changed or reset): check the rules,
    hash, and give the user a new security stamp, which ends every other
    session, every cached credential and every reset link of this user;
    mails ``notice``. Raises ValidationFailed when the password breaks a rule."""
    errors = password_errors(new_password, confirmation)
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = passwords.hash(new_password)
    user.security_stamp = new_security_stamp()
    end_sessions(session, user.id)
    enqueue(session, user.email, notice, name=user.name)
    session.flush()
    return user
