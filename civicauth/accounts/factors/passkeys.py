"""Passkeys and security keys (WebAuthn Level 2, through py_webauthn).

The ceremony's challenge is made here and kept by the caller (in the
session) until the browser's answer comes back; the relying party is the
configured public URL, so a credential made for it works nowhere else.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from civicauth.accounts.factors.models import WebAuthnCredential
from civicauth.accounts.models import User
from civicauth.db import utcnow
from civicauth.errors import ValidationFailed

NAME_MAX = 60


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the host of the public URL (WebAuthn §5.1.3: no scheme, no port)
    name: str
    origin: str  # scheme://host[:port], what the browser reports in clientDataJSON

    @property
    def is_ip_address(self) -> bool:
        """Browsers refuse WebAuthn where the site is an IP address (an RP id
        must be a domain, WebAuthn §5.1.3): passkeys need a name such as localhost."""
        try:
            ipaddress.ip_address(self.id)
        except ValueError:
            return False
        return True

    @classmethod
    def from_public_url(cls, url: str, name: str) -> RelyingParty:
        parts = urlsplit(url)
        return cls(
            id=parts.hostname or "localhost", name=name, origin=f"{parts.scheme}://{parts.netloc}"
        )


@dataclass(frozen=True)
class Ceremony:
    """Options for ``navigator.credentials``, as JSON, and the challenge to keep."""

    options: str
    challenge: str  # base64url


def credentials_of(session: Session, user_id: int) -> list[WebAuthnCredential]:
    query = select(WebAuthnCredential).where(WebAuthnCredential.user_id == user_id)
    return list(session.scalars(query.order_by(WebAuthnCredential.id)))


def _descriptors(credentials: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=c.credential_id) for c in credentials]


def registration_ceremony(session: Session, rp: RelyingParty, user: User) -> Ceremony:
    """Options to create a credential; keys the user has already are excluded."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=str(user.id).encode(),
        user_display_name=user.name,
        exclude_credentials=_descriptors(credentials_of(session, user.id)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(options.challenge))


def register(
    session: Session, rp: RelyingParty, user: User, *, name: str, answer: str, challenge: str
) -> WebAuthnCredential:
    """Store the credential the browser created. Raises ValidationFailed when
    the name is bad or the answer does not verify against the challenge."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed({"name": [f"must be 1 to {NAME_MAX} characters"]})
    try:
        verified = verify_registration_response(
            credential=answer,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed({"credential": ["did not answer as expected: try again"]}) from exc
    taken = session.scalar(
        select(WebAuthnCredential.id).where(
            WebAuthnCredential.credential_id == verified.credential_id
        )
    )
    if taken is not None:
        raise ValidationFailed({"credential": ["is registered already"]})
    credential = WebAuthnCredential(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
    )
    session.add(credential)
    session.flush()
    return credential


def authentication_ceremony(
    rp: RelyingParty, credentials: list[WebAuthnCredential], *, passwordless: bool = False
) -> Ceremony:
    """Options to sign in with one of ``credentials``; for a passwordless
    sign-in, none are named (the browser offers its passkeys for this site)
    and the key must verify the resident (PIN, fingerprint): it stands for
    both factors."""
    verification = (
        UserVerificationRequirement.REQUIRED
        if passwordless
        else UserVerificationRequirement.PREFERRED
    )
    options = generate_authentication_options(
        rp_id=rp.id, allow_credentials=_descriptors(credentials), user_verification=verification
    )
    return Ceremony(options_to_json(options), bytes_to_base64url(options.challenge))


def _answer_id(answer: str) -> bytes | None:
    try:
        raw = json.loads(answer).get("rawId") or ""
        return base64url_to_bytes(raw) if isinstance(raw, str) and raw else None
    except (ValueError, AttributeError, TypeError):
        return None


def credential_answering(session: Session, answer: str) -> WebAuthnCredential | None:
    """The stored credential a WebAuthn answer names (by its raw id), or None."""
    credential_id = _answer_id(answer)
    if credential_id is None:
        return None
    query = select(WebAuthnCredential).where(WebAuthnCredential.credential_id == credential_id)
    return session.scalar(query)


def verify_assertion(
    session: Session,
    rp: RelyingParty,
    user_id: int,
    *,
    answer: str,
    challenge: str,
    passwordless: bool = False,
) -> WebAuthnCredential | None:
    """The user's credential that signed the challenge (its counter and last
    use updated), or None when the answer is not a valid one from the user's
    keys (for a passwordless sign-in: one that verified the resident)."""
    credential = credential_answering(session, answer)
    if credential is None or credential.user_id != user_id:
        return None
    try:
        verified = verify_authentication_response(
            credential=answer,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=credential.public_key,
            credential_current_sign_count=credential.sign_count,
            require_user_verification=passwordless,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    credential.sign_count = verified.new_sign_count
    credential.last_used_at = utcnow()
    return credential
