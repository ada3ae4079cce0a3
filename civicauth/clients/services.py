"""Registered applications: validate, register, approve, rotate and verify secrets.

Services never commit: the request edge (or the command) owns the transaction.
Secrets are shown once, when made, and stored only as SHA-256 digests.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from civicauth.accounts.validation import email_errors
from civicauth.clients.models import APPROVED, Client
from civicauth.clients.models import PENDING as PENDING  # the portal's, from here
from civicauth.clients.records import MAX_CLIENT_ID, ClientRecord
from civicauth.clients.scopes import scope_list, unknown_scopes
from civicauth.errors import NotFound, ValidationFailed
from civicauth.tokens import secrets

GRANT_TYPES = ("authorization_code", "refresh_token", "implicit", "client_credentials")
# OpenID Connect Registration 1.0 §2 ``id_token_signed_response_alg``: the
# algorithms of our signing keys (civicauth/signing_keys), RS256 the default.
ID_TOKEN_ALGORITHMS = ("RS256", "ES256")
DEFAULT_GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2000
_PHONE = re.compile(r"\+?[0-9][0-9 ().\-/x]{2,39}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*")
# The seed's items that are plain text: name, organization, the two contacts.
TEXT_FIELDS = (
    "name",
    "organization",
    "technical_contact_name",
    "technical_contact_email",
    "technical_contact_phone",
    "admin_contact_name",
    "admin_contact_email",
    "admin_contact_phone",
)


@dataclass
class Registration:
    """The five items of the seed, plus how the app may use OAuth."""

    name: str
    organization: str
    technical_contact_name: str
    technical_contact_email: str
    technical_contact_phone: str
    admin_contact_name: str
    admin_contact_email: str
    admin_contact_phone: str
    redirect_uris: list[str]
    is_public: bool = False
    grant_types: list[str] = field(default_factory=lambda: list(DEFAULT_GRANT_TYPES))
    scopes: str = "public write"
    # OpenID Connect RP-Initiated Logout 1.0 §3.1; none is fine.
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    id_token_signed_response_alg: str = ID_TOKEN_ALGORITHMS[0]


def _text_errors(value: str, maximum: int) -> list[str]:
    if not value.strip():
        return ["can't be blank"]
    if len(value.strip()) > maximum:
        return [f"is too long (maximum is {maximum} characters)"]
    return []


def _phone_errors(value: str) -> list[str]:
    if not value.strip():
        return ["can't be blank"]
    return [] if _PHONE.fullmatch(value.strip()) else ["is not a valid phone number"]


def is_loopback_host(host: str | None) -> bool:
    """An IP literal of the loopback interface (RFC 8252 §7.3)."""
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_errors(uri: str) -> list[str]:
    """RFC 6749 §3.1.2: absolute, no fragment; https, loopback http (RFC 8252
    §7.3, §8.3) or a private-use scheme in reverse-domain form (RFC 8252 §7.1)."""
    if len(uri) > MAX_URI_LENGTH:
        return [f"is too long (maximum is {MAX_URI_LENGTH} characters)"]
    if uri != uri.strip() or any(ord(c) < 33 or ord(c) == 127 for c in uri):
        return ["must not contain spaces or control characters"]
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        _ = parts.port  # a malformed port raises ValueError
    except ValueError:
        return ["is not a valid URI"]
    if not parts.scheme or not _SCHEME.fullmatch(parts.scheme):
        return ["must be an absolute URI"]
    if "#" in uri:
        return ["must not contain a fragment"]
    if parts.scheme == "https":
        return [] if host else ["must name a host"]
    if parts.scheme == "http":
        if host == "localhost" or is_loopback_host(host):
            return []
        return ["must use https (plain http only on the loopback interface)"]
    if "." in parts.scheme:
        return []
    return ["must use https, loopback http or a reverse-domain scheme like com.example.app"]


def _uris_errors(uris: list[str]) -> list[str]:
    if not uris:
        return ["can't be blank"]
    if len(uris) > MAX_REDIRECT_URIS:
        return [f"are too many (maximum is {MAX_REDIRECT_URIS})"]
    return [f"{uri} {message}" for uri in uris for message in redirect_uri_errors(uri)]


def _logout_uris_errors(uris: list[str]) -> list[str]:
    """RP-Initiated Logout 1.0 §3.1: registered like redirect URIs (and
    matched as exactly); an app may register none."""
    if len(uris) > MAX_REDIRECT_URIS:
        return [f"are too many (maximum is {MAX_REDIRECT_URIS})"]
    return [f"{uri} {message}" for uri in uris for message in redirect_uri_errors(uri)]


def _alg_errors(alg: str) -> list[str]:
    if alg in ID_TOKEN_ALGORITHMS:
        return []
    return [f"must be one of {', '.join(ID_TOKEN_ALGORITHMS)}"]


def _grant_errors(grant_types: list[str], is_public: bool) -> list[str]:
    unknown = [g for g in grant_types if g not in GRANT_TYPES]
    if not grant_types:
        return ["can't be blank"]
    if unknown:
        return [f"include unknown grant types: {', '.join(unknown)}"]
    if "refresh_token" in grant_types and "authorization_code" not in grant_types:
        return ["refresh_token needs authorization_code"]
    # RFC 6749 §4.4: the client credentials grant is for confidential clients only.
    if is_public and "client_credentials" in grant_types:
        return ["client_credentials needs a confidential application"]
    return []


def _scope_errors(scopes: str) -> list[str]:
    if not scope_list(scopes):
        return ["can't be blank"]
    if unknown := unknown_scopes(scopes):
        return [f"include unknown scopes: {', '.join(unknown)}"]
    return []


def registration_errors(reg: Registration) -> dict[str, list[str]]:
    checks = {
        "name": _text_errors(reg.name, 100),
        "organization": _text_errors(reg.organization, 100),
        "technical_contact_name": _text_errors(reg.technical_contact_name, 100),
        "technical_contact_email": email_errors(reg.technical_contact_email),
        "technical_contact_phone": _phone_errors(reg.technical_contact_phone),
        "admin_contact_name": _text_errors(reg.admin_contact_name, 100),
        "admin_contact_email": email_errors(reg.admin_contact_email),
        "admin_contact_phone": _phone_errors(reg.admin_contact_phone),
        "redirect_uris": _uris_errors(reg.redirect_uris),
        "grant_types": _grant_errors(reg.grant_types, reg.is_public),
        "scopes": _scope_errors(reg.scopes),
        "post_logout_redirect_uris": _logout_uris_errors(reg.post_logout_redirect_uris),
        "id_token_signed_response_alg": _alg_errors(reg.id_token_signed_response_alg),
    }
    return {name: messages for name, messages in checks.items() if messages}


def normalised_fields(reg: Registration) -> dict[str, Any]:
    """A registration's details as the ``Client`` columns store them: trimmed
    and without repeats (whether it is public is set once, at registration,
    and is not among them). Raises ValidationFailed."""
    if errors := registration_errors(reg):
        raise ValidationFailed(errors)
    return {
        **{name: getattr(reg, name).strip() for name in TEXT_FIELDS},
        "redirect_uris": list(dict.fromkeys(reg.redirect_uris)),
        "grant_types": " ".join(dict.fromkeys(reg.grant_types)),
        "scopes": " ".join(scope_list(reg.scopes)),
        "post_logout_redirect_uris": list(dict.fromkeys(reg.post_logout_redirect_uris)),
        "id_token_signed_response_alg": reg.id_token_signed_response_alg,
    }


def apply_fields(client: Client, fields: dict[str, Any]) -> None:
    """Write column values (from ``normalised_fields``) onto ``client``."""
    for name, value in fields.items():
        setattr(client, name, value)


def register_client(
    session: Session, reg: Registration, *, status: str = APPROVED, owner_id: int | None = None
) -> tuple[Client, str | None]:
    """Create an application; returns it and, for a confidential one, its
    secret (the only time the secret exists in clear). Raises ValidationFailed."""
    fields = normalised_fields(reg)
    secret = None if reg.is_public else secrets.mint_client_secret()
    client = Client(
        client_id=secrets.new_client_id(),
        client_secret_digest=secrets.digest(secret) if secret else None,
        is_public=reg.is_public,
        status=status,
        owner_id=owner_id,
    )
    apply_fields(client, fields)
    session.add(client)
    session.flush()
    return client, secret


# Built once (a bound parameter): every token request looks its client up.
_BY_CLIENT_ID = select(Client).where(Client.client_id == bindparam("client_id"))


def find_client(session: Session, client_id: str) -> Client | None:
    if not client_id or len(client_id) > MAX_CLIENT_ID:
        return None
    return session.scalar(_BY_CLIENT_ID, {"client_id": client_id})


def get_client(session: Session, client_id: str) -> Client:
    """The application with this id; raises NotFound."""
    client = find_client(session, client_id)
    if client is None:
        raise NotFound(f"no application with id {client_id}")
    return client


def approve_client(session: Session, client_id: str) -> Client:
    """Let a pending application run its flows for every user."""
    client = get_client(session, client_id)
    client.status = APPROVED
    session.flush()
    return client


def rotate_secret(session: Session, client: Client) -> str:
    """A new secret for a confidential application; the old one stops working."""
    if client.is_public:
        raise ValidationFailed({"client_secret": ["public applications have no secret"]})
    secret = secrets.mint_client_secret()
    client.client_secret_digest = secrets.digest(secret)
    session.flush()
    return secret


def verify_secret(client: Client | ClientRecord, secret: str) -> bool:
    """True when ``secret`` is this confidential application's secret."""
    if client.is_public or client.client_secret_digest is None:
        return False
    if secrets.kind_of(secret) is not secrets.Kind.CLIENT_SECRET:
        return False
    return hmac.compare_digest(secrets.digest(secret), client.client_secret_digest)


def _loopback_key(uri: str) -> str | None:
    """An http URI on a loopback IP literal without its port, else None."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        _ = parts.port  # a malformed port raises ValueError
    except ValueError:
        return None
    if parts.scheme != "http" or host is None or not is_loopback_host(host):
        return None
    if parts.username is not None:
        return None
    literal = f"[{host}]" if ":" in host else host
    return parts._replace(netloc=literal).geturl()


def redirect_uri_matches(registered: list[str], requested: str) -> bool:
    """Exact match with a registered URI; for loopback IP literals over http
    the port may differ (RFC 8252 §7.3: native apps take any free port)."""
    if requested in registered:
        return True
    key = _loopback_key(requested)
    return key is not None and any(_loopback_key(uri) == key for uri in registered)


def post_logout_uri_matches(client: Client, requested: str) -> bool:
    """RP-Initiated Logout 1.0 §3: the URI must exactly match one the app
    registered (no loopback port leeway: nothing is handed over there)."""
    return requested in client.post_logout_redirect_uris


def is_pending(client: Client) -> bool:
    return client.status != APPROVED
