"""What an authorization request comes to, and the provider's face toward
the pages: plain data and a Protocol, so the pages never load Authlib."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from civicauth.oauth2.inputs import OAuthInput
from civicauth.oauth2.responses import OAuthResponse


@dataclass(frozen=True)
class ErrorPage:
    """An authorization request that must not be redirected (RFC 6749
    §4.1.2.1): shown to the user instead, saying what is wrong."""

    status: int
    error: str
    description: str
    # Why an app is refused, for the page's heading: "suspended", "rejected".
    app_status: str = ""


@dataclass(frozen=True)
class Consent:
    """What the consent page shows."""

    client_name: str
    organization: str
    scopes: list[tuple[str, str]]  # (name, sentence)
    redirect_host: str


@dataclass(frozen=True)
class SignInNeeded:
    """The request is valid; a signed-in user must now decide. ``again``:
    the resident is signed in but must sign in anew first (``prompt=login``,
    ``max_age``, an ``id_token_hint`` for someone else; OIDC Core
    §3.1.2.1); ``login_hint``: the email to offer on the sign-in page."""

    again: bool = False
    login_hint: str | None = None


SIGN_IN_NEEDED = SignInNeeded()


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in to the pages, and when and how they signed in (for
    ID tokens' ``auth_time`` and ``amr``, OIDC Core §2)."""

    user_id: int
    auth_time: datetime | None = None
    amr: tuple[str, ...] = ()


AuthorizeOutcome = Consent | OAuthResponse | ErrorPage | SignInNeeded


# Runtime-checkable: Litestar checks injected dependencies against their type.
@runtime_checkable
class Authorizer(Protocol):
    """The authorization endpoint's two steps (implemented by Provider)."""

    def authorization_request(self, inp: OAuthInput, who: SignedIn | None) -> AuthorizeOutcome:
        """Validate; with a user, answer at once or say what to ask."""
        ...

    def decide(self, inp: OAuthInput, who: SignedIn, approve: bool) -> AuthorizeOutcome:
        """Carry out the user's Approve or Deny."""
        ...
