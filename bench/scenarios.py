"""The scenarios: one small registry entry each, measured in this order
(argon2-heavy ones last, so their backlog cannot spill into the others).

Each entry turns the seeded fixtures into the one request wrk repeats; a
scenario whose prerequisite is missing (a command or an endpoint not built
yet) raises ``Unavailable`` and is reported as such rather than crashing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from bench.seed import Fixtures
from bench.wrk import Request

FORM = "application/x-www-form-urlencoded"

# Server configurations the scenarios run on. "main" raises the failed-auth
# limits so that basic-wrong measures the argon2 path of every attempt rather
# than cheap 429s; "default-limits" keeps DESIGN.md's defaults to show them.
RAISED_LIMITS = "1000000/minute"
SERVERS: dict[str, dict[str, str]] = {
    "main": {
        "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS": RAISED_LIMITS,
        "CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT": RAISED_LIMITS,
        "CIVICAUTH_FAILED_AUTH_LIMIT_ADDRESS": RAISED_LIMITS,
    },
    "default-limits": {},
}


class Unavailable(Exception):
    """The scenario cannot run yet; the message says why."""


@dataclass(frozen=True)
class Scenario:
    name: str
    about: str
    request: Callable[[Fixtures], Request]
    expect: frozenset[int] = frozenset({200})
    target: float | None = None  # minimum share of the bare ceiling's req/s
    count_statuses: bool = False  # report the status mix (costs wrk a Lua call per response)
    server: str = "main"
    # Off where the first requests are the point (the 401s before the 429s).
    warmup: bool = True


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


PROFILE = "/api/v2/profile"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "bare",
        "GET /api/v2 without credentials: the ceiling every ratio is taken against",
        lambda f: Request("/api/v2"),
    ),
    Scenario(
        "basic-valid",
        "GET /api/v2/profile with the demo user's Basic credentials",
        lambda f: Request(PROFILE, headers=basic(f.email, f.password)),
        target=0.5,
    ),
    Scenario(
        "bearer-valid",
        "GET /api/v2/profile with a live OAuth access token",
        lambda f: Request(PROFILE, headers=bearer(f.access_token)),
        target=0.6,
    ),
    Scenario(
        "bearer-invalid",
        "a well-formed access token (checksum good) that was never issued: one lookup each",
        lambda f: Request(PROFILE, headers=bearer(f.unknown_token)),
        expect=frozenset({401}),
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
    ),
    Scenario(
        "issues-bbox",
        "GET /api/v2/issues in a bounding box, over the seeded issues",
        _issues_bbox,
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
    with ``bare``: the ceiling every ratio needs."""
    known = [s.name for s in SCENARIOS]
    if unknown := sorted(set(names) - set(known)):
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(known)}")
    wanted = {"bare", *names} if names else set(known)
    return [s for s in SCENARIOS if s.name in wanted]
