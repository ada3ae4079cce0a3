"""What the second-factor pages share: the relying party and key built from
the settings, the WebAuthn challenge kept in the session between a page and
its post, and the proof (code or passkey answer) a form carries."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from civicauth.accounts.factors import passkeys, totp
from civicauth.accounts.factors.passkeys import Ceremony, RelyingParty
from civicauth.accounts.factors.services import Factors, Proof
from civicauth.context import AppContext
from civicauth.keys import SealKeys

AnyConnection = ASGIConnection[Any, Any, Any, Any]
SCRIPT = "/static/webauthn.js"


def relying_party(ctx: AppContext) -> RelyingParty:
    """WebAuthn's relying party: the host and origin of the public URL."""
    return RelyingParty.from_public_url(ctx.settings.issuer, ctx.settings.service_name)


def totp_key(ctx: AppContext) -> SealKeys:
    """The key TOTP secrets are sealed with, derived from the app's secret
    key (and the previous one, which still opens them after a rotation)."""
    return totp.sealing_keys(ctx.settings.resolved_secret_key(), ctx.settings.secret_key_previous)


def _session(connection: AnyConnection) -> dict[str, Any]:
    session = connection.scope.get("session")
    return session if isinstance(session, dict) else {}


def keep_challenge(connection: AnyConnection, purpose: str, ceremony: Ceremony) -> str:
    """Keep the ceremony's challenge for the post that answers it; the options
    JSON for the page. (A challenge is no secret: it only has to be fresh.)"""
    connection.set_session({**_session(connection), f"webauthn_{purpose}": ceremony.challenge})
    return ceremony.options


def passkey_challenge(
    connection: AnyConnection, ctx: AppContext, factors: Factors, purpose: str
) -> str | None:
    """For a page that asks for one of the user's factors: the options of a
    passkey ceremony (its challenge kept for ``purpose``), or None when the
    user has no passkey."""
    if not factors.passkeys:
        return None
    ceremony = passkeys.authentication_ceremony(relying_party(ctx), factors.passkeys)
    return keep_challenge(connection, purpose, ceremony)


def take_challenge(connection: AnyConnection, purpose: str) -> str:
    """The challenge kept for ``purpose``, removed so it answers once; '' if none."""
    session = _session(connection)
    challenge = session.get(f"webauthn_{purpose}")
    if challenge is None:
        return ""
    connection.set_session({k: v for k, v in session.items() if k != f"webauthn_{purpose}"})
    return str(challenge)


def proof_from(connection: AnyConnection, fields: dict[str, str], purpose: str) -> Proof:
    """The factor a form offers: a passkey answer (with the challenge kept for
    it) when the script filled one in, else the typed code."""
    challenge = take_challenge(connection, purpose)
    if fields.get("credential"):
        return Proof(answer=fields["credential"], challenge=challenge)
    return Proof(code=fields.get("code", ""))
