"""OpenID Connect RP-Initiated Logout 1.0 (§2, §3): what a logout request
asks for and whether it may be honoured. No HTTP here: the page
(civicauth/web/end_session.py) signs the resident out and answers.

- ``id_token_hint`` must be an ID token we signed (§2: expired ones are
  accepted); it names the resident and, by its ``aud``, the app.
- ``client_id``, when sent with a hint, must be the hint's audience (§2).
- ``post_logout_redirect_uri`` must exactly match one the app registered
  (§3); the app is the hint's audience or ``client_id``. An unregistered one
  is refused: the resident sees an error page and is sent nowhere.
- ``state`` goes back on the redirect (§3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy.orm import Session

from civicauth.clients.models import APPROVED, PENDING, Client
from civicauth.clients.services import find_client, post_logout_uri_matches
from civicauth.signing_keys.services import verify_jwt

PARAMETERS = ("id_token_hint", "post_logout_redirect_uri", "client_id", "state")


class LogoutRefused(Exception):
    """A logout request that may not be followed; the message says why, to
    the resident (no redirect happens)."""


@dataclass(frozen=True)
class LogoutRequest:
    """A logout request that may be followed."""

    # The ``sub`` of a valid id_token_hint: the resident the app signs out.
    hinted_subject: str | None
    client_id: str | None
    app_name: str | None
    app_organization: str | None
    # Where to send the browser afterwards (``state`` appended), or None.
    redirect_to: str | None
    # The parameters a confirmation form carries (the hint is not needed again).
    confirm_fields: dict[str, str]


def read_logout_request(session: Session, params: Mapping[str, str]) -> LogoutRequest:
    """The request in ``params`` (the PARAMETERS, '' when absent); raises
    LogoutRefused."""
    hint = params.get("id_token_hint", "")
    claims = verify_jwt(session, hint, allow_expired=True) if hint else None
    client_id = _client_id(claims, params.get("client_id", ""))
    client = find_client(session, client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRefused(f"There is no application with the client_id {client_id}.")
    uri = params.get("post_logout_redirect_uri", "")
    redirect_to = _redirect_to(client, uri, params.get("state", "")) if uri else None
    fields = {
        "post_logout_redirect_uri": uri,
        "client_id": client_id,
        "state": params.get("state", ""),
    }
    return LogoutRequest(
        hinted_subject=_subject(claims),
        client_id=client_id or None,
        app_name=client.name if client else None,
        app_organization=client.organization if client else None,
        redirect_to=redirect_to,
        confirm_fields={k: v for k, v in fields.items() if v},
    )


def _client_id(claims: dict[str, Any] | None, given: str) -> str:
    """The app: the hint's audience (``azp`` when it has several, OIDC Core
    §2), which a ``client_id`` sent too must equal."""
    if claims is None:
        return given
    audience = claims.get("aud")
    hinted = audience if isinstance(audience, str) else claims.get("azp")
    if isinstance(audience, list) and len(audience) == 1:
        hinted = audience[0]
    if not isinstance(hinted, str):
        raise LogoutRefused("The id_token_hint does not say which application it was issued to.")
    if given and given != hinted:
        raise LogoutRefused("The client_id is not the application the id_token_hint was issued to.")
    return hinted


def _subject(claims: dict[str, Any] | None) -> str | None:
    subject = claims.get("sub") if claims else None
    return subject if isinstance(subject, str) else None


def _redirect_to(client: Client | None, uri: str, state: str) -> str:
    if client is None:
        raise LogoutRefused(
            "A post_logout_redirect_uri needs an id_token_hint or a client_id "
            "that says which application registered it."
        )
    if client.status not in (APPROVED, PENDING):
        raise LogoutRefused(f"{client.name} cannot be used at the moment.")
    if not post_logout_uri_matches(client, uri):
        raise LogoutRefused(
            f"{uri} is not a sign-out return URL registered for {client.name}, "
            "so you were not sent there."
        )
    return with_state(uri, state) if state else uri


def with_state(uri: str, state: str) -> str:
    """``uri`` with ``state`` added to its query (RP-Initiated Logout §3)."""
    parts = urlsplit(uri)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("state", state)]
    return parts._replace(query=urlencode(query)).geturl()
