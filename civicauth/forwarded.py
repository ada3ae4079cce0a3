"""The client's address and scheme behind trusted TLS-terminating proxies.

Our own rather than uvicorn's ``ProxyHeadersMiddleware``: given ``*`` that
one takes the left-most ``X-Forwarded-For`` entry, which the client writes,
so a made-up header would choose the address every per-address limit and
the security log see. Each proxy appends the address it received the
request from, so the client is the right-most entry that is not one of our
proxies; with ``*`` (any peer is a proxy) the right-most entry, the one the
proxy that reached us wrote. (For an explicit list uvicorn walks from the
right too; this keeps that rule and fixes only ``*``.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import cast

from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = frozenset({"http", "https"})


def parse_address(value: str) -> Address | None:
    """An entry of X-Forwarded-For as an address: ``1.2.3.4``, ``1.2.3.4:5``,
    ``2001:db8::1`` or ``[2001:db8::1]:5``; None for anything else (RFC 7239
    §6 obfuscated names and garbage are no address to count or log)."""
    value = value.strip()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


class TrustedProxies:
    def __init__(self, hosts: Iterable[str]) -> None:
        """``hosts``: addresses or networks (``10.0.0.0/8``), or ``*`` for any;
        a bad one raises ValueError (the settings refuse it first)."""
        names = [h.strip() for h in hosts if h.strip()]
        self.any = "*" in names
        self._networks: list[Network] = [
            ipaddress.ip_network(h, strict=False) for h in names if h != "*"
        ]

    def __contains__(self, address: Address | None) -> bool:
        if self.any:
            return True
        return address is not None and any(address in net for net in self._networks)

    def client_of(self, forwarded_for: list[str]) -> Address | None:
        """The client, from the entries of every X-Forwarded-For header, in order."""
        entries = [parse_address(e) for e in ",".join(forwarded_for).split(",")]
        if self.any:
            return entries[-1] if entries else None
        for address in reversed(entries):
            if address not in self:
                return address
        # Every hop is one of our proxies: the first one is the client.
        return entries[0] if entries else None


def forwarded_headers_middleware(hosts: Iterable[str]) -> Callable[[ASGIApp], ASGIApp]:
    """ASGI middleware factory: from a trusted peer, take the scheme from
    X-Forwarded-Proto and the client address from X-Forwarded-For."""
    proxies = TrustedProxies(hosts)

    def middleware(app: ASGIApp) -> ASGIApp:
        async def forwarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                _apply(proxies, cast(HTTPScope, scope))
            await app(scope, receive, send)

        return forwarded

    return middleware


def _apply(proxies: TrustedProxies, scope: HTTPScope) -> None:
    peer = scope.get("client")
    if peer is None or parse_address(peer[0]) not in proxies:
        return
    forwarded_for: list[str] = []
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            proto = value.decode("latin-1").strip().lower()
            if proto in SCHEMES:
                scope["scheme"] = proto
        elif name == b"x-forwarded-for":
            forwarded_for.append(value.decode("latin-1"))
    if forwarded_for and (client := proxies.client_of(forwarded_for)) is not None:
        scope["client"] = (str(client), 0)
