"""The developer portal's application form: read it, and fill it again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from civicauth.clients.models import Client
from civicauth.clients.review import proposed_values
from civicauth.clients.scopes import SCOPES, scope_list
from civicauth.clients.services import (
    DEFAULT_GRANT_TYPES,
    GRANT_TYPES,
    ID_TOKEN_ALGORITHMS,
    TEXT_FIELDS,
    Registration,
)
from civicauth.web.forms import form_choices, form_fields

CLIENT_TYPES = ("confidential", "public")
ALG_DEFAULT = ID_TOKEN_ALGORITHMS[0]
ALG_CHOICES = [
    ("RS256", "RS256 (RSA; the default, which every OpenID Connect library supports)"),
    ("ES256", "ES256 (elliptic curve P-256; smaller tokens)"),
]
# What each grant type means for the developer choosing it. Implicit is
# weaker (RFC 9700 §2.1.2): the token travels in the URL fragment, where
# history, logs and other scripts on the page can read it, and it cannot be
# bound to the client or refreshed.
GRANT_HINTS = {
    "authorization_code": "Recommended for every app. Public apps must use PKCE (S256).",
    "refresh_token": "Lets the app renew access without asking the user again.",
    "implicit": (
        "Weaker: the access token is returned in the URL fragment, where browser history "
        "and other scripts can read it, and it cannot be refreshed. Use the authorization "
        "code flow with PKCE instead unless an old client needs this."
    ),
    "client_credentials": "For a confidential app acting for itself, not for a user.",
}


@dataclass
class ApplicationForm:
    registration: Registration
    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


async def read_application_form(request: Request[Any, Any, Any]) -> ApplicationForm:
    fields = await form_fields(
        request,
        *TEXT_FIELDS,
        "redirect_uris",
        "post_logout_redirect_uris",
        "id_token_signed_response_alg",
        "client_type",
    )
    grant_types = await form_choices(request, "grant_types")
    scopes = await form_choices(request, "scopes")
    registration = Registration(
        **{name: fields[name] for name in TEXT_FIELDS},
        redirect_uris=_lines(fields["redirect_uris"]),
        is_public=fields["client_type"] == "public",
        grant_types=grant_types,
        scopes=" ".join(scopes),
        post_logout_redirect_uris=_lines(fields["post_logout_redirect_uris"]),
        # A form without the field (an older page) keeps the default.
        id_token_signed_response_alg=fields["id_token_signed_response_alg"] or ALG_DEFAULT,
    )
    values = {**fields, "grant_types": grant_types, "scopes": scopes}
    form = ApplicationForm(registration, values)
    if fields["client_type"] not in CLIENT_TYPES:
        form.errors["client_type"] = ["is not one of the choices"]
    return form


def blank_values() -> dict[str, Any]:
    return {
        "client_type": "confidential",
        "id_token_signed_response_alg": ALG_DEFAULT,
        "grant_types": list(DEFAULT_GRANT_TYPES),
        "scopes": list(SCOPES),
    }


def values_of(client: Client) -> dict[str, Any]:
    """The form filled with an application as its developer last edited it:
    a change waiting for review shows as proposed, so it can be revised."""
    proposed = {
        **{name: getattr(client, name) for name in TEXT_FIELDS},
        **proposed_values(client),
    }
    return {
        **{name: proposed[name] for name in TEXT_FIELDS},
        "redirect_uris": "\n".join(proposed["redirect_uris"]),
        "post_logout_redirect_uris": "\n".join(proposed["post_logout_redirect_uris"]),
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "client_type": "public" if client.is_public else "confidential",
        "grant_types": proposed["grant_types"].split(),
        "scopes": scope_list(proposed["scopes"]),
    }


def choices() -> dict[str, Any]:
    """What the form template offers."""
    return {
        "grant_choices": [(g, g, GRANT_HINTS[g]) for g in GRANT_TYPES],
        "scope_choices": [(name, name, sentence) for name, sentence in SCOPES.items()],
        "alg_choices": ALG_CHOICES,
    }
