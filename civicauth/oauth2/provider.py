"""The OAuth 2.0 provider as the rest of the service sees it: typed calls in,
OAuthResponse / ErrorPage / Consent out. Each call is one transaction, and
synchronous (Authlib and our SQLAlchemy sessions are): ``run`` says where
the token, revocation and introspection calls run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from sqlalchemy.orm import Session

from civicauth.accounts.audit import record_event
from civicauth.clients.models import SUSPENDED
from civicauth.clients.scopes import describe
from civicauth.db import Database
from civicauth.logs import note_client
from civicauth.oauth2 import prompts
from civicauth.oauth2.adapters import ResourceOwner
from civicauth.oauth2.inputs import MalformedRequest, OAuthInput, check_parameters
from civicauth.oauth2.outcomes import (
    SIGN_IN_NEEDED,
    AuthorizeOutcome,
    Consent,
    ErrorPage,
    SignedIn,
    SignInNeeded,
)
from civicauth.oauth2.request_store import ServerConfig
from civicauth.oauth2.responses import OAuthResponse, json_error, with_issuer
from civicauth.oauth2.server import CivicAuthorizationServer
from civicauth.settings import Settings
from civicauth.tokens import authorizations

log = logging.getLogger("civicauth.oauth2")
T = TypeVar("T")
# What to do with a valid authorization request: (session, server, grant, user).
Then = Callable[[Session, CivicAuthorizationServer, Any, ResourceOwner], AuthorizeOutcome]
UNREADABLE = "The request could not be processed; check its parameters."


def refusing_unreadable(work: Callable[[], T], refusal: T) -> T:
    """Authlib raises ValueError when a request value cannot go into an error
    description (RFC 6749 §5.2 limits its characters): the transaction rolls
    back and the request is refused instead of failing with a 500."""
    try:
        return work()
    except ValueError:
        log.warning("refused an OAuth request that Authlib could not process", exc_info=True)
        return refusal


class Provider:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        on_revoked: Callable[[int], None] | None = None,
        on_client_revoked: Callable[[str], None] | None = None,
    ) -> None:
        """``on_revoked(user_id)`` runs after a request that revoked tokens of
        that user has committed, ``on_client_revoked(client_id)`` after one
        that revoked an app's own token (no user): every process drops the
        cached credentials concerned (AppContext.forget_user, forget_client)."""
        self.db = db
        self.config = ServerConfig.from_settings(settings)
        self.on_revoked = on_revoked
        self.on_client_revoked = on_client_revoked
        self._servers = threading.local()

    def _server(self, session: Session) -> CivicAuthorizationServer:
        """This thread's authorization server, bound to ``session`` for one
        request. Building one (six grants, two endpoints, the client
        authentication) cost more than some of the grants it serves; a
        thread runs one request at a time, so one per thread is enough."""
        server: CivicAuthorizationServer | None = getattr(self._servers, "server", None)
        if server is None:
            server = self._servers.server = CivicAuthorizationServer(self.config)
        server.bind(session)
        return server

    # -- token, revocation, introspection ------------------------------------

    async def run(
        self, call: Callable[[OAuthInput], OAuthResponse], inp: OAuthInput
    ) -> OAuthResponse:
        """Run one of the calls below for a request (``Database.run``: on
        SQLite on the event loop, on PostgreSQL in a bounded worker thread)."""
        return await self.db.run(partial(call, inp))

    def token_response(self, inp: OAuthInput) -> OAuthResponse:
        return self._endpoint(inp, lambda server: server.create_token_response(inp), writes=True)

    def revocation_response(self, inp: OAuthInput) -> OAuthResponse:
        return self._endpoint(
            inp, lambda s: s.create_endpoint_response("revocation", inp), writes=True
        )

    def introspection_response(self, inp: OAuthInput) -> OAuthResponse:
        return self._endpoint(
            inp, lambda s: s.create_endpoint_response("introspection", inp), writes=False
        )

    def _endpoint(
        self, inp: OAuthInput, call: Callable[[CivicAuthorizationServer], Any], *, writes: bool
    ) -> OAuthResponse:
        refusal = json_error(400, "invalid_request", UNREADABLE)
        return refusing_unreadable(lambda: self._run_endpoint(inp, call, writes), refusal)

    def _run_endpoint(
        self, inp: OAuthInput, call: Callable[[CivicAuthorizationServer], Any], writes: bool
    ) -> OAuthResponse:
        try:
            check_parameters(list(inp.params))
        except MalformedRequest as exc:
            return json_error(400, "invalid_request", str(exc))
        # A token or revocation request writes (tokens, codes, the audit
        # log) in one short transaction with no wait inside: it takes the
        # write lock for its whole length (Database.write_transaction).
        begin = self.db.write_transaction if writes else self.db.transaction
        with begin() as session:
            server = self._server(session)
            try:
                response: OAuthResponse = call(server)
            except OAuth2Error as error:  # raised before Authlib's own handling
                response = server.handle_error_response(None, error)
        for user_id in server.revoked_users if self.on_revoked else ():
            self.on_revoked(user_id)  # type: ignore[misc]
        for client_id in server.revoked_clients if self.on_client_revoked else ():
            self.on_client_revoked(client_id)  # type: ignore[misc]
        return response

    # -- authorization endpoint (RFC 6749 §3.1) -------------------------------

    def authorization_request(self, inp: OAuthInput, who: SignedIn | None) -> AuthorizeOutcome:
        """Validate an authorization request; with a user, either answer at
        once (consent given before) or say what to ask."""
        return self._authorize(inp, who, self._answer_or_ask)

    def decide(self, inp: OAuthInput, who: SignedIn, approve: bool) -> AuthorizeOutcome:
        """The user's Approve or Deny on the consent page."""
        then = partial(self._record_decision, approve=approve, address=inp.address)
        return self._authorize(inp, who, then)

    def _authorize(self, inp: OAuthInput, who: SignedIn | None, then: Then) -> AuthorizeOutcome:
        """Validate the request in one transaction; ``then`` acts on a valid one."""
        refusal: AuthorizeOutcome = ErrorPage(400, "invalid_request", UNREADABLE)
        return refusing_unreadable(lambda: self._validate_then(inp, who, then), refusal)

    def _validate_then(self, inp: OAuthInput, who: SignedIn | None, then: Then) -> AuthorizeOutcome:
        with self.db.transaction() as session:
            server = self._server(session)
            checked = self._validated(server, inp, who)
            if not isinstance(checked, tuple):
                return checked
            grant, owner = checked
            try:
                return then(session, server, grant, owner)
            except OAuth2Error as error:
                return self._error(server, error)

    def _answer_or_ask(
        self, session: Session, server: CivicAuthorizationServer, grant: Any, owner: ResourceOwner
    ) -> AuthorizeOutcome:
        asked = prompts.interaction_of(grant)
        if prompts.must_sign_in_again(server, grant, asked, owner):
            return SignInNeeded(again=True, login_hint=asked.login_hint)
        client, scope = grant.request.client, grant.request.scope
        # RFC 8252 §8.6: nothing proves a public client is the app it names
        # (any program on the device can start its flow with its own PKCE
        # challenge and listen on its loopback port), so it is asked each time.
        # OIDC Core §3.1.2.1: prompt=consent asks again, whatever was granted.
        remembered = not client.row.is_public and "consent" not in asked.prompts
        if remembered and authorizations.has_consent(session, owner.id, client.pk, scope):
            return self._respond(server, grant, owner)
        prompts.refuse_silent_consent(grant, asked)
        return Consent(
            client_name=client.row.name,
            organization=client.row.organization,
            scopes=describe(scope),
            redirect_host=shown_host(grant.redirect_uri),
        )

    def _record_decision(
        self,
        session: Session,
        server: CivicAuthorizationServer,
        grant: Any,
        owner: ResourceOwner,
        *,
        approve: bool,
        address: str | None,
    ) -> AuthorizeOutcome:
        if not approve:
            # RFC 6749 §4.1.2.1: access_denied, back to the client.
            return self._respond(server, grant, None)
        client, scope = grant.request.client, grant.request.scope
        authorizations.record_consent(session, owner.id, client.pk, scope)
        record_event(
            session,
            "app_authorized",
            user_id=owner.id,
            client_id=client.client_id,
            address=address,
            detail=f"scope {scope}",
        )
        return self._respond(server, grant, owner)

    def _validated(
        self, server: CivicAuthorizationServer, inp: OAuthInput, who: SignedIn | None
    ) -> tuple[Any, ResourceOwner] | AuthorizeOutcome:
        try:
            check_parameters(list(inp.params))
        except MalformedRequest as exc:
            return ErrorPage(400, "invalid_request", str(exc))
        user_id = who.user_id if who else None
        if refused := self._refused_client(server, inp, user_id):
            return refused
        owner = resource_owner(who)
        try:
            grant = server.get_consent_grant(inp, end_user=owner)
            prompts.check_response_mode(grant)
            if owner is None:
                asked = prompts.interaction_of(grant)
                prompts.refuse_silent_sign_in(grant, asked)
                return SignInNeeded(login_hint=asked.login_hint)
        except OAuth2Error as error:
            return self._error(server, error)
        return grant, owner

    def _refused_client(
        self, server: CivicAuthorizationServer, inp: OAuthInput, user_id: int | None
    ) -> AuthorizeOutcome | None:
        """An app that may not act for this user is refused on a page before
        anything else is checked: an error redirect to its redirect URI would
        make it an open redirector for whoever registers one (RFC 9700
        §4.11.2). A pending app may still act for its developer, so a
        signed-out visitor signs in first."""
        client = server.query_client(inp.get("client_id"))
        if client is not None:
            note_client(client.client_id)
        if client is None or client.usable_by(user_id):
            return None
        name, status = client.row.name, client.row.status
        if status == SUSPENDED:
            because = "it is suspended by the people who run this service"
            return ErrorPage(
                400, "unauthorized_client", f"{name} may not be used: {because}.", status
            )
        if not client.awaiting_review:
            because = "it has not been approved by the people who run this service"
            return ErrorPage(
                400, "unauthorized_client", f"{name} may not be used: {because}.", status
            )
        if user_id is None:
            return SIGN_IN_NEEDED
        return ErrorPage(
            400,
            "unauthorized_client",
            f"{name} is awaiting review by the operators of this "
            "service; until then only its developer can sign in with it.",
        )

    def _respond(
        self, server: CivicAuthorizationServer, grant: Any, owner: ResourceOwner | None
    ) -> OAuthResponse:
        response: OAuthResponse = server.create_authorization_response(
            grant.request, grant_user=owner, grant=grant
        )
        return self._with_issuer(response)

    def _error(self, server: CivicAuthorizationServer, error: OAuth2Error) -> AuthorizeOutcome:
        # RFC 6749 §4.1.2.1: without a verified redirect URI, never redirect.
        if not error.redirect_uri:
            return ErrorPage(error.status_code, error.error, error.get_error_description() or "")
        return self._with_issuer(server.handle_error_response(None, error))

    def _with_issuer(self, response: OAuthResponse) -> OAuthResponse:
        if response.location:
            response.location = with_issuer(response.location, self.config.issuer)
        return response


def resource_owner(who: SignedIn | None) -> ResourceOwner | None:
    if who is None:
        return None
    when = int(who.auth_time.timestamp()) if who.auth_time else None
    return ResourceOwner(who.user_id, when, who.amr)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def shown_host(uri: str) -> str:
    """Where the consent page says the browser will go: the host (and a port
    that is not the scheme's default), never the userinfo before an ``@``,
    which can make ``https://city.example@evil.example/`` read as the city's.
    A URI without a host (a native app's private scheme) is shown whole."""
    parts = urlsplit(uri)
    host = parts.hostname
    if not host:
        return uri
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    return host
