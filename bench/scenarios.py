"""The scenarios: one small registry entry each, measured in this order
(argon2-heavy ones last, so their backlog cannot spill into the others).

Each entry turns the seeded fixtures into the one request wrk repeats; a
scenario whose prerequisite is missing (a command or an endpoint not built
yet) raises ``Unavailable`` and is reported as such rather than crashing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from bench.seed import REDIRECT_URI, Fixtures, fill_access_tokens
from bench.wrk import Request

FORM = "application/x-www-form-urlencoded"

# Server configurations the scenarios run on, in this order. "ceiling" serves
# bench/ceiling.py instead of civicauth. "main" raises the failed-auth limits
# so that basic-wrong measures the argon2 path of every attempt rather than
# cheap 429s; "default-limits" keeps DESIGN.md's defaults to show them.
RAISED_LIMITS = "1000000/minute"


@dataclass(frozen=True)
class ServerConfig:
    env: dict[str, str] = field(default_factory=dict)
    app: str | None = None  # "module:attribute" of an ASGI app served instead of civicauth


SERVERS: dict[str, ServerConfig] = {
    "ceiling": ServerConfig(app="bench.ceiling:app"),
    "main": ServerConfig(
        {
            "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS": RAISED_LIMITS,
            "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": RAISED_LIMITS,
            "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": RAISED_LIMITS,
        }
    ),
    "default-limits": ServerConfig(),
}


class Unavailable(Exception):
    """The scenario cannot run yet; the message says why."""


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    request: Callable[[Fixtures], Request]
    expect: frozenset[int] = frozenset({200})
    target: float | None = None  # minimum share of the ceiling's req/s
    count_statuses: bool = False  # report the status mix (costs wrk a Lua call per response)
    server: str = "main"
    # Off where the first requests are the point (the 401s before the 429s),
    # and where each request spends a credential (a warm-up would spend them).
    warmup: bool = True
    # Run once before the scenario, with the database URL (e.g. more rows).
    prepare: Callable[[str], None] | None = None
    # The usage method (basic, oauth, personal) its answers are counted as on
    # /admin/usage, which the bench checks after the run (bench/usage_check.py).
    usage: str | None = None


def basic(user: str, password: str) -> dict[str, str]:
    """RFC 7617 §2: base64 of ``user:password`` in UTF-8."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}  # RFC 6750 §2.1


def _client_credentials(f: Fixtures) -> Request:
    if f.client is None:
        raise Unavailable(f.client_unavailable)
    client_id, client_secret = f.client
    return Request(
        "/oauth/token",
        method="POST",
        headers={**basic(client_id, client_secret), "Content-Type": FORM},
        body="grant_type=client_credentials&scope=public",
    )


def _issues_bbox(f: Fixtures) -> Request:
    query = "&".join(f"{k}={v}" for k, v in f.bbox.items())
    return Request(f"/api/v2/issues?{query}")


def _token_exchange(f: Fixtures, grant: str, field_name: str, spent: tuple[str, ...]) -> Request:
    """A token request that spends one credential per request: the probe
    spends the first, wrk each of the others once."""
    client_id, client_secret = f.bearer_client
    bodies = [f"grant_type={grant}&{field_name}={one}" for one in spent]
    if grant == "authorization_code":
        bodies = [b + "&redirect_uri=" + quote(REDIRECT_URI, safe="") for b in bodies]
    return Request(
        "/oauth/token",
        method="POST",
        headers={**basic(client_id, client_secret), "Content-Type": FORM},
        body=bodies[0],
        bodies=tuple(bodies[1:]),
    )


PROFILE = "/api/v2/profile"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "ceiling",
        "the same answer as GET /api/v2 from a bare ASGI app (bench/ceiling.py), "
        "same server and workers: what every request costs before civicauth's code",
        lambda f: Request("/api/v2"),
        server="ceiling",
    ),
    Scenario(
        "bare",
        "GET /api/v2 without credentials: civicauth's cheapest answer",
        lambda f: Request("/api/v2"),
    ),
    Scenario(
        "basic-valid",
        "GET /api/v2/profile with the demo user's Basic credentials",
        lambda f: Request(PROFILE, headers=basic(f.email, f.password)),
        target=0.40,
        usage="basic",
    ),
    Scenario(
        "bearer-valid",
        "GET /api/v2/profile with a live OAuth access token",
        lambda f: Request(PROFILE, headers=bearer(f.access_token)),
        target=0.40,
        usage="oauth",
    ),
    Scenario(
        "personal-valid",
        "GET /api/v2/profile with the demo user's personal access token",
        lambda f: Request(PROFILE, headers=bearer(f.personal_token)),
        usage="personal",
    ),
    Scenario(
        "bearer-invalid",
        "a well-formed access token (checksum good, mac under another key) never issued",
        lambda f: Request(PROFILE, headers=bearer(f.unknown_token)),
        expect=frozenset({401}),
        target=0.50,
        count_statuses=True,
    ),
    Scenario(
        "bearer-garbage",
        "a token that is not a civicauth token at all: refused without a database read",
        lambda f: Request(PROFILE, headers=bearer("not-a-civicauth-token-at-all")),
        expect=frozenset({401}),
        count_statuses=True,
    ),
    Scenario(
        "client-credentials",
        "POST /oauth/token, grant_type=client_credentials, client authenticated by Basic",
        _client_credentials,
        target=0.05,
    ),
    Scenario(
        "code-exchange",
        "POST /oauth/token, grant_type=authorization_code: a code minted in advance each time",
        lambda f: _token_exchange(f, "authorization_code", "code", f.codes),
        target=0.03,
        count_statuses=True,
        warmup=False,
    ),
    Scenario(
        "code-exchange-openid",
        "code-exchange with scope openid: the exchange also signs an ID token (RS256)",
        lambda f: _token_exchange(f, "authorization_code", "code", f.openid_codes),
        count_statuses=True,
        warmup=False,
    ),
    Scenario(
        "refresh",
        "POST /oauth/token, grant_type=refresh_token: a fresh grant's refresh token each time",
        lambda f: _token_exchange(f, "refresh_token", "refresh_token", f.refresh_tokens),
        target=0.03,
        count_statuses=True,
        warmup=False,
    ),
    Scenario(
        "issues-bbox",
        "GET /api/v2/issues in a bounding box (a page of 20), over the seeded issues",
        _issues_bbox,
        target=0.05,
    ),
    Scenario(
        "issue-show",
        "GET /api/v2/issues/{id} of one seeded issue",
        lambda f: Request(f"/api/v2/issues/{f.issue_id}"),
    ),
    Scenario(
        "issues-search",
        "GET /api/v2/issues?search=... (a page of 20), over the seeded issues",
        lambda f: Request(f"/api/v2/issues?search={quote(f.search)}"),
    ),
    Scenario(
        "bearer-valid-1m",
        "bearer-valid again once 10^6 access tokens are stored (bulk-inserted first)",
        lambda f: Request(PROFILE, headers=bearer(f.access_token)),
        prepare=lambda url: fill_access_tokens(url, 1_000_000),
        usage="oauth",
    ),
    Scenario(
        "basic-wrong",
        "GET /api/v2/profile, demo email, wrong password; limits raised: each pays argon2",
        lambda f: Request(PROFILE, headers=basic(f.email, "not-the-password")),
        expect=frozenset({401}),
        count_statuses=True,
    ),
    Scenario(
        "basic-wrong-throttled",
        "basic-wrong under the default failed-auth limits: 401s, then 429s",
        lambda f: Request(PROFILE, headers=basic(f.email, "not-the-password")),
        expect=frozenset({401, 429}),
        count_statuses=True,
        server="default-limits",
        warmup=False,
    ),
)


def by_name(names: list[str]) -> list[Scenario]:
    """The named scenarios (all when none is named) in registry order, always
    with ``ceiling`` and ``bare``, which every ratio needs."""
    known = [s.name for s in SCENARIOS]
    if unknown := sorted(set(names) - set(known)):
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(known)}")
    wanted = {"ceiling", "bare", *names} if names else set(known)
    return [s for s in SCENARIOS if s.name in wanted]
