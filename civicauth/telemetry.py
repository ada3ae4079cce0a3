"""What every request leaves behind: its id, its metrics, its access line.

One ASGI wrapper around the whole application, outside Litestar's router,
so unknown paths and 405s are counted and logged too. Per request it costs a
new id, a context variable, a wrapped ``send`` and two metric updates
(the counter and histogram of the request's route are found once per
(method, route, status) and kept).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from typing import cast

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from civicauth.forwarded import TrustedProxies, parse_address
from civicauth.logs import ACCESS_LOGGER, begin_request, end_request
from civicauth.metrics import request_metrics
from civicauth.settings import Settings

REQUEST_ID_HEADER = b"x-request-id"
# What a proxy's id may look like (nginx's $request_id, a UUID, AWS's
# ``Root=1-...``); anything else is replaced, so a log line cannot be forged.
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:;=/+-]{1,128}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
UNMATCHED = "unmatched"  # no route: a 404 or 405 before any handler

access_log = logging.getLogger(ACCESS_LOGGER)


class Telemetry:
    def __init__(self, settings: Settings) -> None:
        # X-Request-ID is honoured only from the proxies whose forwarded
        # headers are trusted (civicauth/forwarded.py): anyone else could
        # choose the id their requests are logged under.
        self.proxies = (
            TrustedProxies(settings.forwarded_allow_ips.split(","))
            if settings.trust_forwarded
            else None
        )
        self.access_log = settings.access_log
        # Ids need to be unique, not unguessable: a random prefix per worker
        # and a counter cost no system call per request (os.urandom does).
        self._prefix = os.urandom(8).hex()
        self._sequence = itertools.count()
        os.register_at_fork(after_in_child=self._new_prefix)

    def request_id(self, scope: HTTPScope) -> str:
        """The trusted proxy's X-Request-ID (checked), else a new random one."""
        if self.proxies is not None:
            peer = scope.get("client")
            if peer is not None and parse_address(peer[0]) in self.proxies:
                for name, value in scope["headers"]:
                    if name == REQUEST_ID_HEADER and _REQUEST_ID.match(value):
                        return value.decode("ascii")
        return self.new_request_id()

    def new_request_id(self) -> str:
        """32 hex digits, like nginx's $request_id: unique across workers and starts."""
        return f"{self._prefix}{next(self._sequence):016x}"

    def _new_prefix(self) -> None:
        self._prefix = os.urandom(8).hex()

    def wrap(self, app: ASGIApp) -> ASGIApp:
        async def observed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            http = cast(HTTPScope, scope)
            request_id = self.request_id(http)
            header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
            status = 500  # unless an answer starts

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", ()), header]
                await send(message)

            token = begin_request(request_id)
            try:
                await app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = http.get("path_template") or UNMATCHED
                requests, latency = request_metrics(http["method"], route, status)
                requests.inc()
                latency.observe(elapsed)
                if self.access_log:
                    self._log(http, route, status, elapsed)
                end_request(token)

        return observed

    def _log(self, scope: HTTPScope, route: str, status: int, elapsed: float) -> None:
        """One line per request: the path without its query string (RFC 6750
        §2.3 and the SeeClickFix docs put tokens there)."""
        client = scope.get("client")
        ms = round(elapsed * 1000, 3)
        # The path is percent-decoded: a %0A in it must not start a new line.
        path = _CONTROL.sub(lambda c: f"\\x{ord(c.group()):02x}", scope["path"])
        access_log.info(
            "%s %s %d %.1f ms",
            scope["method"],
            path,
            status,
            ms,
            extra={
                "method": scope["method"],
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": ms,
                "address": client[0] if client else None,
            },
        )
