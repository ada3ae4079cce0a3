"""Refuse writes that a browser says come from another site.

Browsers send cached Basic credentials with a cross-site form post, so a page
elsewhere could make a signed-in resident report, comment, vote or close
issues. Fetch Metadata (``Sec-Fetch-Site``, ``Sec-Fetch-Mode``; W3C Fetch
Metadata Request Headers) tells such requests apart: refused here, before
authentication runs, for every state-changing method of the API. Clients that
are not browsers send no such headers and are not affected.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from civicauth.auth.middleware import send_json

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A same-site page may still navigate or post a form (no-cors) at us; only
# its CORS requests (which it had to opt into) are let through.
_SAME_SITE_REFUSED_MODES = frozenset({b"navigate", b"no-cors"})
REFUSAL = {
    "error": "cross_site_request",
    "error_description": "A page on another site may not change anything through this API.",
}


def is_cross_site(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a browser marked the request as sent by another site's page."""
    site = mode = b""
    for name, value in headers:
        if name == b"sec-fetch-site":
            site = value.strip().lower()
        elif name == b"sec-fetch-mode":
            mode = value.strip().lower()
    if site == b"cross-site":
        return True
    return site == b"same-site" and mode in _SAME_SITE_REFUSED_MODES


def refuse_cross_site_writes(app: ASGIApp) -> ASGIApp:
    async def check(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and cast(HTTPScope, scope)["method"] in STATE_CHANGING
            and is_cross_site(scope["headers"])
        ):
            await send_json(send, 403, REFUSAL)
            return
        await app(scope, receive, send)

    return check
