"""The four grants we support, each a small subclass of Authlib's, filled in
with our storage (RFC 6749 §4.1, §4.2, §4.4, §6)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidGrantError,
    InvalidScopeError,
    UnauthorizedClientError,
    grants,
)

from civicauth.accounts.operators import is_locked
from civicauth.clients.scopes import scope_list
from civicauth.logs import note_user
from civicauth.metrics import REFRESH_REUSE
from civicauth.oauth2.adapters import ClientAdapter, CodeAdapter, ResourceOwner, TokenAdapter
from civicauth.oauth2.request_store import RequestStore
from civicauth.tokens import codes, oauth_tokens, secrets
from civicauth.tokens.oauth_tokens import Rotation

log = logging.getLogger("civicauth.oauth2")

SECRET = ["client_secret_basic", "client_secret_post"]
SECRET_OR_PUBLIC = [*SECRET, "none"]


def require_usable(client: ClientAdapter, user_id: int | None) -> None:
    """Refuse an app that may not act for this user (None: for itself):
    one awaiting review that is not the user's own, or a rejected or
    suspended one (RFC 6749 §5.2 unauthorized_client)."""
    if not client.usable_by(user_id):
        why = "is awaiting review" if client.awaiting_review else "may not be used"
        raise UnauthorizedClientError(f"The application {why}.")


def refuse_locked(session: Any, user_id: int | None) -> None:
    """Refuse a grant for an account an operator locked (RFC 6749 §5.2
    invalid_grant): its refresh tokens and codes wait until it is unlocked."""
    if user_id is not None and is_locked(session, user_id):
        raise InvalidGrantError("The account is locked by the people who run this service.")


def refuse_expired(row: oauth_tokens.AnyToken, lifetimes: oauth_tokens.RefreshLifetimes) -> None:
    """Refuse a refresh token that expired before it was exchanged (RFC 6749
    §5.2 invalid_grant), changing nothing. One already exchanged goes on to
    reuse detection instead, expired or not: its reuse may be a theft, and
    ends the grant."""
    if row.refresh_rotated_at is None and (why := oauth_tokens.refresh_expiry(row, lifetimes)):
        raise InvalidGrantError(why.describe(lifetimes))


def sign_in_facts(request: Any) -> codes.SignInFacts | None:
    """For an OpenID Connect request, what the ID token of its code will say
    of the sign-in (OIDC Core §3.1.3.6); None for a plain OAuth request."""
    if "openid" not in scope_list(request.scope):
        return None
    owner: ResourceOwner = request.user
    when = datetime.fromtimestamp(owner.auth_time, UTC) if owner.auth_time else None
    return codes.SignInFacts(request.payload.data.get("nonce"), when, owner.amr)


class CodeIssuing:
    """Minting and storing codes: the code grant's, and the hybrid grant's
    (openid.py), which issues a code at the authorization endpoint too."""

    server: RequestStore

    def generate_authorization_code(self) -> str:
        return secrets.keys_of(self.server.session).mint(secrets.Kind.CODE)

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        codes.store_code(
            self.server.session,
            code,
            client_pk=request.client.pk,
            user_id=request.user.id,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope,
            ttl=self.server.config.auth_code_ttl,
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            openid=sign_in_facts(request),
        )


class AuthorizationCodeGrant(CodeIssuing, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_OR_PUBLIC
    server: RequestStore

    def query_authorization_code(self, code: str, client: ClientAdapter) -> CodeAdapter | None:
        session = self.server.session
        outcome = codes.claim_code(session, code, client.pk)
        if outcome.spent is not None:
            code_id, user_id = outcome.spent
            note_user(user_id)
            # RFC 6749 §4.1.2: a code used twice is refused, and the tokens
            # issued from it are revoked (someone else may hold them).
            oauth_tokens.revoke_issued_from_code(session, code_id)
            self.server.note_revoked(user_id)
            raise InvalidGrantError("The code was already used; its tokens are revoked.")
        if outcome.record is None:
            return None
        note_user(outcome.record.user_id)
        if codes.is_expired(outcome.record):
            raise InvalidGrantError("The code has expired.")
        return CodeAdapter(outcome.record)

    def validate_token_request(self) -> None:
        super().validate_token_request()
        user_id = self.request.authorization_code.row.user_id
        require_usable(self.request.client, user_id)
        refuse_locked(self.server.session, user_id)

    def delete_authorization_code(self, authorization_code: CodeAdapter) -> None:
        """Nothing to do: the code was claimed when it was read, and stays
        stored (as used) so that a replay is recognised until it expires."""

    def authenticate_user(self, authorization_code: CodeAdapter) -> ResourceOwner:
        return ResourceOwner(
            authorization_code.row.user_id,
            authorization_code.get_auth_time(),
            tuple(authorization_code.get_amr() or ()),
        )


class ImplicitGrant(grants.ImplicitGrant):
    server: RequestStore

    def authenticate_token_endpoint_client(self) -> ClientAdapter:
        # RFC 6749 §4.2.1: no client authentication at the authorization
        # endpoint; the registered redirect URI is what binds the client.
        client = self.server.query_client(self.request.payload.client_id)
        if client is None:
            raise InvalidClientError(description="The application does not exist.")
        return client


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """Rotation on every use (RFC 9700 §4.14.2). Reuse of a rotated token
    revokes the whole grant, except within the grace window, where the
    second of two concurrent refreshes gets the same new pair: the pair is
    derived from the old refresh token and the server key, so nothing in
    clear is stored to make that possible. A refresh token not exchanged
    within the idle lifetime, or once its grant is past the absolute
    lifetime, is refused and nothing changes."""

    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_OR_PUBLIC
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: RequestStore

    def authenticate_refresh_token(self, refresh_token: str) -> TokenAdapter | None:
        row = oauth_tokens.find_by_refresh_token(self.server.session, refresh_token)
        if row is None or row.revoked_at is not None:
            return None
        note_user(row.user_id)
        return TokenAdapter(row, as_refresh=True, lifetimes=self.server.config.refresh_lifetimes)

    def authenticate_user(self, refresh_token: TokenAdapter) -> ResourceOwner | None:
        return refresh_token.get_user()

    def validate_token_request(self) -> None:
        super().validate_token_request()
        presented: TokenAdapter = self.request.refresh_token
        refuse_expired(presented.row, self.server.config.refresh_lifetimes)
        require_usable(self.request.client, presented.row.user_id)
        refuse_locked(self.server.session, presented.row.user_id)
        # RFC 6749 §6: the scope asked for, or the grant's; never more than
        # the app may have now (its registration may have lost a scope).
        asked = self.request.payload.scope or presented.get_scope()
        self.request.scope = self.request.client.permitted_scope(asked)
        if not self.request.scope:
            raise InvalidScopeError("The application may no longer use any of these scopes.")

    def create_token_response(self) -> tuple[int, Any, Any]:
        session, presented = self.server.session, self.request.refresh_token
        grace = self.server.config.refresh_grace_seconds
        outcome = oauth_tokens.rotate_refresh(session, presented.row, grace)
        if outcome is Rotation.REPLAY:
            replayed = 200, self._replayed_pair(presented), self.TOKEN_RESPONSE_HEADER
            self.execute_hook("after_create_token_response", replayed)  # the ID token
            return replayed
        if outcome is Rotation.REUSED:
            self._end_grant(presented)
        response: tuple[int, Any, Any] = super().create_token_response()
        return response

    def issue_token(
        self, user: ResourceOwner | None, refresh_token: TokenAdapter
    ) -> dict[str, Any]:
        return self.server.rotated_token(self.request.scope, self.request.form["refresh_token"])

    def revoke_old_credential(self, refresh_token: TokenAdapter) -> None:
        """Nothing to do: rotate_refresh retired it before the new pair was made."""

    def _replayed_pair(self, presented: TokenAdapter) -> dict[str, Any]:
        child = oauth_tokens.child_of(self.server.session, presented.row)
        scope = child.scope if child else presented.row.scope
        token = self.server.rotated_token(scope, self.request.form["refresh_token"])
        # The pair handed out again must be the live one the first refresh made.
        if (
            child is None
            or not oauth_tokens.refresh_is_active(child, self.server.config.refresh_lifetimes)
            or child.access_token_digest != secrets.digest(token["access_token"])
        ):
            self._end_grant(presented)
        assert child is not None
        token["expires_in"] = TokenAdapter(child, as_refresh=False).get_expires_in()
        token["created_at"] = int(child.issued_at.timestamp())
        return token

    def _end_grant(self, presented: TokenAdapter) -> None:
        REFRESH_REUSE.inc()
        # Someone may hold a copy (RFC 9700 §4.14.2): worth an operator's look.
        log.warning(
            "a rotated refresh token was used again: grant %s revoked", presented.row.grant_id
        )
        oauth_tokens.revoke_grant(self.server.session, presented.row.grant_id)
        self.server.note_revoked(presented.row.user_id)
        raise InvalidGrantError("The refresh token was already used; the grant is revoked.")


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET
    server: RequestStore

    def validate_token_request(self) -> None:
        super().validate_token_request()
        require_usable(self.request.client, None)
