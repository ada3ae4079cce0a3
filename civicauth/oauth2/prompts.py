"""What an authorization request asks of the sign-in and the consent
(OpenID Connect Core §3.1.2.1): ``prompt``, ``max_age``, ``login_hint``,
``id_token_hint``, and the errors a ``prompt=none`` request gets instead
of a page (§3.1.2.6), sent back to the client like any authorization error.

Honoured for every authorization request, OpenID Connect or not: a client
that says ``prompt=none`` never wants a page shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError

from civicauth.accounts.claims import subject_of
from civicauth.oauth2.adapters import ResourceOwner
from civicauth.oauth2.request_store import RequestStore
from civicauth.signing_keys.services import verify_jwt

# What goes back in the query; every other response type uses the fragment
# (OIDC Core §3.1.2.5, §3.2.2.5, §3.3.2.5).
QUERY_RESPONSE_TYPES = frozenset({"code"})
PROMPTS = frozenset({"none", "login", "consent", "select_account"})


@dataclass(frozen=True)
class Interaction:
    prompts: frozenset[str]
    max_age: int | None
    login_hint: str | None
    id_token_hint: str | None

    @property
    def silent(self) -> bool:
        """``prompt=none``: no page may be shown, whatever happens."""
        return "none" in self.prompts


def in_fragment(grant: Any) -> bool:
    return grant.request.payload.response_type not in QUERY_RESPONSE_TYPES


def redirected(grant: Any, error: OAuth2Error) -> OAuth2Error:
    """``error`` addressed to the client: its redirect URI, in the component
    its response type uses, with its state (RFC 6749 §4.1.2.1)."""
    error.redirect_uri = grant.redirect_uri
    error.redirect_fragment = in_fragment(grant)
    error.state = grant.request.payload.state
    return error


def interaction_of(grant: Any) -> Interaction:
    """The request's sign-in parameters; raises an OAuth2Error (for the
    client) when they make no sense."""
    data = grant.request.payload.data
    prompts = frozenset((data.get("prompt") or "").split())
    if "none" in prompts and len(prompts) > 1:
        raise redirected(grant, InvalidRequestError("prompt=none cannot go with other values."))
    if unknown := prompts - PROMPTS:
        raise redirected(grant, InvalidRequestError(f"Unknown prompt {sorted(unknown)[0]!r}."))
    max_age = data.get("max_age")
    if max_age is not None and not (max_age.isdigit() and len(max_age) <= 10):
        raise redirected(grant, InvalidRequestError("max_age must be a number of seconds."))
    return Interaction(
        prompts=prompts,
        max_age=int(max_age) if max_age is not None else None,
        login_hint=data.get("login_hint"),
        id_token_hint=data.get("id_token_hint"),
    )


def hinted_subject(server: RequestStore, grant: Any, hint: str) -> str:
    """The ``sub`` of an ``id_token_hint``: an ID token this server signed,
    expired or not (OIDC Core §3.1.2.1 lets the client send an old one);
    verify_jwt checks the signature against our published keys and ``iss``."""
    claims = verify_jwt(server.session, hint, allow_expired=True) or {}
    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise redirected(
            grant, InvalidRequestError("The id_token_hint is not one of our ID tokens.")
        )
    return subject


def must_sign_in_again(
    server: RequestStore, grant: Any, asked: Interaction, owner: ResourceOwner
) -> bool:
    """Whether the signed-in resident must sign in (again) first: asked for
    (``prompt=login``), a sign-in older than ``max_age``, or an
    ``id_token_hint`` naming someone else. With ``prompt=none`` the answer
    is ``login_required`` instead (raised)."""
    stale = asked.max_age is not None and (
        owner.auth_time is None or time.time() - owner.auth_time > asked.max_age
    )
    other = asked.id_token_hint is not None and (
        hinted_subject(server, grant, asked.id_token_hint) != subject_of(owner.id)
    )
    again = "login" in asked.prompts or stale or other
    if again and asked.silent:
        raise redirected(grant, LoginRequiredError())
    return again


def refuse_silent_sign_in(grant: Any, asked: Interaction) -> None:
    """Nobody is signed in: ``prompt=none`` gets ``login_required``."""
    if asked.silent:
        raise redirected(grant, LoginRequiredError())


def refuse_silent_consent(grant: Any, asked: Interaction) -> None:
    """Consent is missing: ``prompt=none`` gets ``consent_required``."""
    if asked.silent:
        raise redirected(grant, ConsentRequiredError())


def check_response_mode(grant: Any) -> None:
    """Only each response type's default mode (OAuth 2.0 Multiple Response
    Types §2.1, §5): codes in the query, anything with a token in the
    fragment, never tokens in a query string that servers log."""
    mode = grant.request.payload.data.get("response_mode")
    default = "fragment" if in_fragment(grant) else "query"
    if mode is not None and mode != default:
        raise redirected(grant, InvalidRequestError(f"response_mode must be {default!r} here."))
