"""The API's authentication middleware: the cheapest path Litestar offers.

Runs the resolver once per request and leaves the Principal (or None) in
``scope["user"]``; failures are answered here, before any handler runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import cast
from urllib.parse import parse_qs

import msgspec
from litestar.connection import Request
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
)
from prometheus_client import Counter

from civicauth.auth.credentials import BearerCredentials, Credentials, extract
from civicauth.auth.errors import AuthFailure
from civicauth.auth.principal import Principal
from civicauth.auth.resolver import Resolver
from civicauth.logs import note_client, note_user
from civicauth.metrics import AUTH_OUTCOMES
from civicauth.usage.counter import UsageCounter, agent_product
from civicauth.usage.models import NO_CLIENT, NO_USER

_FORM = b"application/x-www-form-urlencoded"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_address(scope: Scope) -> str:
    """The caller's address (behind a trusted proxy, the one it forwarded:
    see ``create_app``)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


async def send_json(
    send: Send, status: int, body: dict[str, str], headers: dict[str, str] | None = None
) -> None:
    """A JSON answer sent before any handler runs; never cached."""
    raw = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": raw,
    }
    await send(start)
    event: HTTPResponseBodyEvent = {
        "type": "http.response.body",
        "body": msgspec.json.encode(body),
        "more_body": False,
    }
    await send(event)


async def send_failure(send: Send, failure: AuthFailure) -> None:
    await send_json(send, failure.status, failure.body(), failure.headers())


def private_cache_control(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with ``Cache-Control`` made ``private`` (or left at the
    stricter ``no-store``); ``public`` is dropped, other directives kept."""
    kept: list[tuple[bytes, bytes]] = []
    directives: list[bytes] = []
    for name, value in headers:
        if name.lower() == b"cache-control":
            directives += [d.strip() for d in value.split(b",") if d.strip()]
        else:
            kept.append((name, value))
    names = {d.split(b"=")[0].strip().lower() for d in directives}
    if not names & {b"private", b"no-store"}:
        directives = [d for d in directives if d.lower() != b"public"] + [b"private"]
    return [*kept, (b"cache-control", b", ".join(directives))]


def keep_private(send: Send) -> Send:
    """RFC 6750 §2.3: a response to a request with ``access_token`` in the
    query must carry ``Cache-Control: private``, so no shared cache keeps an
    answer keyed by a URL that holds a token."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = private_cache_control(message["headers"])
        await send(message)

    return send_private


async def _credentials(scope: HTTPScope, receive: Receive) -> Credentials | None:
    authorization: list[str] = []
    authentication: list[str] = []
    content_type = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization.append(value.decode("latin-1"))
        elif name == b"authentication":
            authentication.append(value.decode("latin-1"))
        elif name == b"content-type":
            content_type = value
    query_tokens: list[str] = []
    if b"access_token" in scope["query_string"]:
        query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        query_tokens = query.get("access_token", [])
    body_tokens: list[str] = []
    # RFC 6750 §2.2: form-encoded body, never with GET.
    if scope["method"] in _BODY_METHODS and content_type.split(b";")[0].strip() == _FORM:
        form = await Request(scope, receive).form()
        body_tokens = form.getall("access_token") if "access_token" in form else []
    return extract(authorization, authentication, query_tokens, body_tokens)


@cache
def _counter(method: str, outcome: str) -> Counter:
    """The counter of one (method, outcome) pair, found once rather than on
    every request (``labels`` costs more than the increment; the pairs are a
    fixed handful: methods and RFC 6750 error codes)."""
    return AUTH_OUTCOMES.labels(method, outcome)


def _user_agent(scope: HTTPScope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return value
    return b""


def count_usage(usage: UsageCounter, principal: Principal, scope: HTTPScope) -> None:
    """One request in the usage counts: OAuth per app, Basic and personal
    tokens per user (Basic also by program, for the operator who wants to
    turn password Basic off)."""
    if principal.method == "bearer":
        usage.add("oauth", principal.client_id or NO_CLIENT, NO_USER)
    elif principal.method == "basic":
        agent = agent_product(_user_agent(scope))
        usage.add("basic", NO_CLIENT, principal.user_id or NO_USER, agent)
    else:
        usage.add("personal", NO_CLIENT, principal.user_id or NO_USER)


def authentication_middleware(
    resolver: Resolver, usage: UsageCounter | None = None
) -> Callable[[ASGIApp], ASGIApp]:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def authenticate(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            try:
                credentials = await _credentials(cast(HTTPScope, scope), receive)
                principal = await resolver.resolve(credentials, client_address(scope))
            except AuthFailure as failure:
                _counter("failed", failure.error).inc()
                await send_failure(send, failure)
                return
            _counter(principal.method if principal else "anonymous", "ok").inc()
            if principal is not None:
                note_user(principal.user_id)
                note_client(principal.client_id)
                if usage is not None:
                    count_usage(usage, principal, cast(HTTPScope, scope))
            scope["user"] = principal
            scope["auth"] = principal
            if isinstance(credentials, BearerCredentials) and credentials.source == "query":
                send = keep_private(send)
            await app(scope, receive, send)

        return authenticate

    return middleware
