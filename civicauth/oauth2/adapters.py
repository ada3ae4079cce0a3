"""Our rows as Authlib sees them: the method names of its ClientMixin,
AuthorizationCodeMixin and TokenMixin, over the domain models (which know
nothing of Authlib)."""

from __future__ import annotations

from dataclasses import dataclass

from civicauth.clients import services as clients
from civicauth.clients.models import PENDING
from civicauth.clients.records import ClientRecord
from civicauth.clients.scopes import DEFAULT_SCOPE, scope_list
from civicauth.db import utcnow
from civicauth.tokens import oauth_tokens
from civicauth.tokens.codes import CodeRecord
from civicauth.tokens.oauth_tokens import AnyToken, RefreshLifetimes

# RFC 6749 §3.1.1 response_type -> the grant type an app must be registered
# for. OpenID Connect's implicit responses (OIDC Core §3.2) put tokens in the
# fragment as "token" does, so they need "implicit" too; its hybrid "code
# id_token" (§3.3) gives the fragment an ID token but no access token, which
# comes from the code: "authorization_code" is what it needs.
RESPONSE_TYPE_GRANTS = {
    "code": "authorization_code",
    "token": "implicit",
    "id_token": "implicit",
    "id_token token": "implicit",
    "code id_token": "authorization_code",
}
DEFAULT_ID_TOKEN_ALG = "RS256"
SECRET_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True)
class ResourceOwner:
    """The user a grant acts for (Authlib passes it around as ``user``), and
    when and how they signed in (OIDC Core §2 ``auth_time``, ``amr``; known
    at the authorization endpoint, from the code at the token endpoint)."""

    id: int
    auth_time: int | None = None
    amr: tuple[str, ...] = ()


class ClientAdapter:
    def __init__(self, row: ClientRecord) -> None:
        self.row = row
        self.pk = row.id
        self.client_id = row.client_id
        self.grant_types = frozenset(row.grant_types.split())

    @property
    def awaiting_review(self) -> bool:
        return self.row.status == PENDING

    def usable_by(self, user_id: int | None) -> bool:
        return self.row.usable_by(user_id)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # RFC 6749 §3.1.2.3: redirect_uri may be left out only when exactly
        # one is registered.
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scope to grant, or None (invalid_scope) when any requested scope
        is not one this app may ask for (RFC 6749 §3.3, as Doorkeeper does)."""
        requested = scope_list(scope) or [DEFAULT_SCOPE]
        if not set(requested) <= set(scope_list(self.row.scopes)):
            return None
        return self.permitted_scope(" ".join(requested))

    def permitted_scope(self, scope: str) -> str:
        """The part of ``scope`` this app may (still) ask for, in its order."""
        requested = set(scope_list(scope))
        return " ".join(name for name in scope_list(self.row.scopes) if name in requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return clients.redirect_uri_matches(self.row.redirect_uris, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return clients.verify_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # RFC 6749 §2.3: confidential apps authenticate with their secret;
        # public ones have none and name themselves with client_id.
        if self.row.is_public:
            return method == "none"
        return method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return RESPONSE_TYPE_GRANTS.get(response_type) in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    @property
    def id_token_signed_response_alg(self) -> str:
        """OpenID Connect Registration §2: the app's choice, RS256 by default."""
        return self.row.id_token_signed_response_alg or DEFAULT_ID_TOKEN_ALG


class CodeAdapter:
    def __init__(self, row: CodeRecord) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    # OpenID Connect (authlib.oidc.core.AuthorizationCodeMixin's names).

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int | None:
        return int(self.row.auth_time.timestamp()) if self.row.auth_time else None

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return self.row.amr.split() if self.row.amr else None


class TokenAdapter:
    """An OAuth token row, as presented by its access or its refresh token
    (which needs the refresh lifetimes to tell whether it has expired)."""

    def __init__(
        self, row: AnyToken, *, as_refresh: bool, lifetimes: RefreshLifetimes | None = None
    ) -> None:
        if as_refresh and lifetimes is None:
            raise TypeError("a refresh token's adapter needs the refresh lifetimes")
        self.row = row
        self.as_refresh = as_refresh
        self.lifetimes = lifetimes

    def check_client(self, client: ClientAdapter) -> bool:
        return self.row.client_pk == client.pk

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_at(self) -> int:
        """When the token presented expires (seconds since the epoch)."""
        if self.lifetimes is not None and self.as_refresh:
            return int(oauth_tokens.refresh_expires_at(self.row, self.lifetimes).timestamp())
        return int(self.row.expires_at.timestamp())

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        if self.lifetimes is not None and self.as_refresh:
            return oauth_tokens.refresh_expiry(self.row, self.lifetimes) is not None
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        """Revoked, or, for a refresh token, already exchanged."""
        if self.as_refresh:
            return oauth_tokens.refresh_is_spent(self.row)
        return self.row.revoked_at is not None

    def get_user(self) -> ResourceOwner | None:
        return ResourceOwner(self.row.user_id) if self.row.user_id is not None else None
