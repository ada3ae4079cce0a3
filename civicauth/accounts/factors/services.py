"""What the pages ask of second factors: enrol, prove, remove, and whether an
account has one (which also refuses its password over HTTP Basic).

Services never commit; each change that matters to the resident queues a
mail in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from civicauth.accounts.audit import record_event
from civicauth.accounts.factors import passkeys, recovery, totp
from civicauth.accounts.factors.models import TotpFactor, WebAuthnCredential
from civicauth.accounts.models import User
from civicauth.db import utcnow
from civicauth.db.ids import parse_row_id
from civicauth.errors import NotFound, ValidationFailed
from civicauth.keys import SealingKey, seal, unseal
from civicauth.mail import enqueue

WRONG_CODE = "is not a current code from your authenticator app"
TOTP_LABEL = "an authenticator app"


@dataclass
class Factors:
    """A resident's second factors, as Password & Security lists them."""

    totp: bool = False
    passkeys: list[WebAuthnCredential] = field(default_factory=list)
    recovery_codes_left: int = 0

    @property
    def any(self) -> bool:
        return self.totp or bool(self.passkeys)


def second_factor_of(
    user_id: ColumnElement[int] | QueryableAttribute[int] | int,
) -> ColumnElement[bool]:
    """True where the account has a confirmed authenticator app or a passkey.
    ``user_id`` may be a column (``User.id``), so that another query reads it
    in its own statement (auth/resolver.py)."""
    app = exists().where(TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None))
    key = exists().where(WebAuthnCredential.user_id == user_id)
    return app | key


def has_second_factor(session: Session, user_id: int) -> bool:
    """Whether the account has a confirmed authenticator app or a passkey."""
    return bool(session.scalar(select(second_factor_of(user_id))))


def factors_of(session: Session, user_id: int) -> Factors:
    return Factors(
        totp=_confirmed_totp(session, user_id) is not None,
        passkeys=passkeys.credentials_of(session, user_id),
        recovery_codes_left=recovery.codes_left(session, user_id),
    )


def _totp_row(session: Session, user_id: int) -> TotpFactor | None:
    return session.scalar(select(TotpFactor).where(TotpFactor.user_id == user_id))


def _confirmed_totp(session: Session, user_id: int) -> TotpFactor | None:
    row = _totp_row(session, user_id)
    return row if row is not None and row.confirmed_at is not None else None


# -- TOTP enrolment --------------------------------------------------------


def pending_totp_secret(session: Session, key: SealingKey, user: User) -> str:
    """The secret of the user's unconfirmed authenticator app, made (and
    stored sealed) on first call. Raises ValidationFailed if one is set up."""
    row = _totp_row(session, user.id)
    if row is not None and row.confirmed_at is not None:
        raise ValidationFailed({"totp": ["is set up already: remove it first to replace it"]})
    if row is not None:
        try:
            return unseal(key, row.secret_encrypted, str(user.id))
        except InvalidTag:
            session.delete(row)  # sealed under an older secret key: start afresh
            session.flush()
    secret = totp.new_secret()
    session.add(TotpFactor(user_id=user.id, secret_encrypted=seal(key, secret, str(user.id))))
    session.flush()
    return secret


def confirm_totp(
    session: Session, key: SealingKey, user: User, code: str, *, address: str
) -> list[str] | None:
    """Confirm the pending app with a code from it (which counts as used).
    Returns new recovery codes when this is the account's first factor, else
    None. Raises ValidationFailed for a wrong code."""
    first = not has_second_factor(session, user.id)
    row = _totp_row(session, user.id)
    if row is None or row.confirmed_at is not None:
        raise ValidationFailed({"code": ["has no authenticator app waiting for it: start again"]})
    step = totp.matching_step(unseal(key, row.secret_encrypted, str(user.id)), code)
    if step is None:
        raise ValidationFailed({"code": [WRONG_CODE]})
    row.confirmed_at, row.last_used_step = utcnow(), step
    return _factor_added(session, user, TOTP_LABEL, first=first, address=address)


def _factor_added(
    session: Session, user: User, label: str, *, first: bool, address: str
) -> list[str] | None:
    record_event(session, "second_factor_added", user_id=user.id, address=address, detail=label)
    enqueue(session, user.email, "second_factor_added", name=user.name, factor=label)
    session.flush()
    return recovery.replace_codes(session, user.id) if first else None


def add_passkey(
    session: Session,
    rp: passkeys.RelyingParty,
    user: User,
    *,
    name: str,
    answer: str,
    challenge: str,
    address: str,
) -> list[str] | None:
    """Register a passkey or security key; new recovery codes when it is the
    first factor, else None. Raises ValidationFailed."""
    first = not has_second_factor(session, user.id)
    credential = passkeys.register(session, rp, user, name=name, answer=answer, challenge=challenge)
    label = f"the passkey or security key “{credential.name}”"
    return _factor_added(session, user, label, first=first, address=address)


# -- Proving a factor --------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """What the resident offered as a second factor: a code (from the app, or
    a recovery code) or a WebAuthn answer to ``challenge``."""

    code: str = ""
    answer: str = ""
    challenge: str = ""


def prove(
    session: Session, key: SealingKey, rp: passkeys.RelyingParty, user: User, proof: Proof
) -> str | None:
    """Which factor ``proof`` passed ("totp", "recovery_code", "passkey"), spending
    it (a TOTP step, a recovery code) so it works once; None when it is wrong."""
    if proof.answer and proof.challenge:
        found = passkeys.verify_assertion(
            session, rp, user.id, answer=proof.answer, challenge=proof.challenge
        )
        return "passkey" if found is not None else None
    if _spend_totp(session, key, user.id, proof.code):
        return "totp"
    if recovery.use_code(session, user.id, proof.code):
        record_event(session, "recovery_code_used", user_id=user.id)
        return "recovery_code"
    return None


def _spend_totp(session: Session, key: SealingKey, user_id: int, code: str) -> bool:
    row = _confirmed_totp(session, user_id)
    if row is None:
        return False
    try:
        secret = unseal(key, row.secret_encrypted, str(user_id))
    except InvalidTag:
        # Sealed under a secret key this server no longer has (rotated without
        # CIVICAUTH_SECRET_KEY_PREVIOUS): no code can match; a recovery code
        # still signs the resident in.
        return False
    step = totp.matching_step(secret, code)
    if step is None:
        return False
    # RFC 6238 §5.2: a code is accepted once. One conditional UPDATE, so two
    # workers given the same code cannot both accept it.
    spent = session.execute(
        update(TotpFactor)
        .where(TotpFactor.id == row.id)
        .where((TotpFactor.last_used_step.is_(None)) | (TotpFactor.last_used_step < step))
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(spent.rowcount)  # type: ignore[attr-defined]


# -- Removing and regenerating ----------------------------------------------


def remove_factor(session: Session, user: User, factor: str, *, address: str) -> str:
    """Remove ``factor`` ("totp" or a passkey's id); the words naming it.
    The last factor takes the recovery codes with it. Raises NotFound."""
    if factor == "totp":
        row = _confirmed_totp(session, user.id)
        if row is None:
            raise NotFound("authenticator app")
        session.delete(row)
        label = TOTP_LABEL
    else:
        credential = _passkey_of(session, user.id, factor)
        label = f"the passkey or security key “{credential.name}”"
        session.delete(credential)
    session.flush()
    if not has_second_factor(session, user.id):
        recovery.delete_codes(session, user.id)
    record_event(session, "second_factor_removed", user_id=user.id, address=address, detail=label)
    enqueue(session, user.email, "second_factor_removed", name=user.name, factor=label)
    return label


def reset_factors(session: Session, user: User) -> int:
    """An operator's reset for a resident who lost every factor and every
    recovery code: remove them all (and a TOTP set-up not yet confirmed),
    record it and mail the resident. Returns how many factors there were;
    0 changes nothing."""
    totp_row = _totp_row(session, user.id)
    credentials = passkeys.credentials_of(session, user.id)
    count = len(credentials) + (1 if totp_row is not None and totp_row.confirmed_at else 0)
    if totp_row is None and not credentials:
        return 0
    for row in [*credentials, *([totp_row] if totp_row is not None else [])]:
        session.delete(row)
    recovery.delete_codes(session, user.id)
    session.flush()
    label = "every second factor (reset by the people who run the service)"
    record_event(session, "second_factors_reset", user_id=user.id, detail=label)
    enqueue(session, user.email, "second_factor_removed", name=user.name, factor=label)
    return count


def _passkey_of(session: Session, user_id: int, factor: str) -> WebAuthnCredential:
    row_id = parse_row_id(factor)
    credential = session.get(WebAuthnCredential, row_id) if row_id is not None else None
    if credential is None or credential.user_id != user_id:
        raise NotFound("passkey")
    return credential


def regenerate_recovery_codes(session: Session, user: User, *, address: str) -> list[str]:
    """Ten new recovery codes (the old ones die). Raises ValidationFailed
    when the account has no second factor for them to back up."""
    if not has_second_factor(session, user.id):
        raise ValidationFailed({"recovery_codes": ["need a second factor first"]})
    record_event(session, "recovery_codes_regenerated", user_id=user.id, address=address)
    return recovery.replace_codes(session, user.id)
