"""Who may read /metrics, and the separate address it may be served on.

Metrics tell an outsider a lot (routes, clients, sign-in failures), so they
are not public: ``CIVICAUTH_METRICS_TOKEN`` asks scrapers for
``Authorization: Bearer <token>``, and ``CIVICAUTH_METRICS_LISTEN`` serves
them on an address of their own (an internal interface) from the main
process of ``civicauth serve``. With neither set, /metrics does not exist
(404, like any unknown path).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler

from civicauth.metrics import exposition
from civicauth.settings import Settings, listen_address

log = logging.getLogger("civicauth.metrics")
CHALLENGE = 'Bearer realm="metrics"'


def authorized(authorization: str | None, token: str) -> bool:
    """Whether the ``Authorization`` header carries ``token`` (RFC 6750 §2.1).
    The digests are compared in constant time, so neither the token nor its
    length leaks through timing."""
    scheme, _, presented = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    presented_digest = hashlib.sha256(presented.strip().encode()).digest()
    return hmac.compare_digest(presented_digest, hashlib.sha256(token.encode()).digest())


def _refusal(authorization: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """RFC 6750 §3: the challenge, with ``invalid_token`` when one was sent."""
    if authorization:
        challenge = f'{CHALLENGE}, error="invalid_token"'
        return {"error": "invalid_token"}, {"WWW-Authenticate": challenge}
    return {"error": "unauthorized"}, {"WWW-Authenticate": CHALLENGE}


def metrics_route(settings: Settings) -> HTTPRouteHandler:
    """``GET /metrics`` on the application's own port: only with the token."""
    token = settings.metrics_token

    @get("/metrics", sync_to_thread=True, include_in_schema=False)
    def metrics(request: Request[Any, Any, Any]) -> Response[Any]:
        if not token:
            raise NotFoundException()
        authorization = request.headers.get("authorization")
        if not authorized(authorization, token):
            body, headers = _refusal(authorization)
            return Response(body, status_code=401, headers=headers)
        content, media_type = exposition()
        return Response(content, media_type=media_type, headers={"Cache-Control": "no-store"})

    return metrics


class _MetricsHandler(BaseHTTPRequestHandler):
    token = ""  # set per server, in ``start_listener``
    server_version = "civicauth-metrics"

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/metrics":
            self._answer(404, b'{"error": "not_found"}', "application/json")
            return
        authorization = self.headers.get("Authorization")
        if self.token and not authorized(authorization, self.token):
            body, headers = _refusal(authorization)
            self._answer(401, json.dumps(body).encode(), "application/json", headers)
            return
        content, media_type = exposition()
        self._answer(200, content, media_type)

    def _answer(
        self, status: int, body: bytes, media_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics listener: " + format, *args)


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def start_listener(settings: Settings) -> ThreadingHTTPServer | None:
    """Serve /metrics on ``CIVICAUTH_METRICS_LISTEN`` from a daemon thread of
    this process (the token is asked for there too, when one is set).
    Raises OSError when the address cannot be bound."""
    if not settings.metrics_listen:
        return None
    host, port = listen_address(settings.metrics_listen)
    handler = type("MetricsHandler", (_MetricsHandler,), {"token": settings.metrics_token})
    server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
    server = server_class((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="civicauth metrics", daemon=True).start()
    log.info("metrics on http://%s/metrics", settings.metrics_listen)
    return server
