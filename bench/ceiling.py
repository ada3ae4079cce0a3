"""The ceiling: the least an ASGI app can do to answer ``GET /api/v2``.

Served by the same server, with the same worker count, in the same run as
civicauth, it measures what every request costs before any of our code runs
(the server, the ASGI hop, loopback TCP, wrk itself). Every ratio in the
table is also taken against it, so the cost that is ours shows.
"""

from __future__ import annotations

import json
from typing import Any

# The same bytes civicauth sends for GET /api/v2 (api/v2/routes.py).
BODY = json.dumps({"version": 2.0, "base": "/api/v2"}, separators=(",", ":")).encode()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
NOT_FOUND = [(b"content-type", b"text/plain"), (b"content-length", b"9")]

Scope = dict[str, Any]


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    found = scope["path"] in ("/api/v2", "/healthz")
    await send(
        {
            "type": "http.response.start",
            "status": 200 if found else 404,
            "headers": HEADERS if found else NOT_FOUND,
        }
    )
    await send({"type": "http.response.body", "body": BODY if found else b"not found"})
