"""The soak's mixed workload: coroutines that each hold one connection's
worth of requests, picking a kind at random by weight, until the deadline.

Why httpx (async) and not wrk: the workload has state (refresh tokens
rotate, a sign-in reads its page's CSRF token, every token received is kept
to be checked after the faults), which wrk's Lua would make awkward; httpx
is already civicauth's dependency and the tests' client. Its cost per
request on the client side caps the rate on a small machine, which is fine:
the soak measures survival under faults, bench/run.py measures speed.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bench.seed import Fixtures
from bench.soak_report import OK, Record, TokenCheck

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
TIMEOUT_S = 15.0
MAX_REQUESTS = 5_000_000  # per run: a bound besides the deadline

WEIGHTS = {
    "issues-list": 25,
    "profile-bearer": 25,
    "profile-basic": 15,
    "issue-write": 8,
    "client-credentials": 10,
    "refresh": 15,
    "sign-in": 2,
}


KindFunction = Callable[[httpx.AsyncClient, random.Random], Awaitable[str]]


def outcome_of(response: httpx.Response, expected: int) -> str:
    """OK, or the status (with the OAuth ``error`` of a 400/401, if any)."""
    if response.status_code == expected:
        return OK
    error = ""
    if response.status_code in (400, 401):
        try:
            error = str(response.json().get("error", ""))
        except ValueError:
            error = ""
    return f"{response.status_code} {error}".strip()


@dataclass
class Chain:
    """One grant's current refresh token."""

    refresh_token: str


@dataclass
class Load:
    base_url: str
    fixtures: Fixtures
    started: float = field(default_factory=time.monotonic)
    records: list[Record] = field(default_factory=list)
    # (seconds since start, access token) of every token received.
    tokens: list[tuple[float, str]] = field(default_factory=list)
    chains: asyncio.Queue[Chain] = field(default_factory=asyncio.Queue)
    dead_chains: int = 0

    def now(self) -> float:
        return time.monotonic() - self.started

    def __post_init__(self) -> None:
        for token in self.fixtures.refresh_tokens:
            self.chains.put_nowait(Chain(token))
        self.tokens.append((0.0, self.fixtures.access_token))

    # -- the kinds ------------------------------------------------------------

    async def issues_list(self, http: httpx.AsyncClient, rng: random.Random) -> str:
        answer = await http.get(
            "/api/v2/issues", params={"per_page": 20, "page": rng.randint(1, 5)}
        )
        return outcome_of(answer, 200)

    async def profile_bearer(self, http: httpx.AsyncClient, rng: random.Random) -> str:
        _, token = rng.choice(self.tokens[-200:]) if rng.random() < 0.5 else self.tokens[0]
        answer = await http.get("/api/v2/profile", headers={"Authorization": f"Bearer {token}"})
        return outcome_of(answer, 200)

    async def profile_basic(self, http: httpx.AsyncClient, rng: random.Random) -> str:
        auth = (self.fixtures.email, self.fixtures.password)
        return outcome_of(await http.get("/api/v2/profile", auth=auth), 200)

    async def issue_write(self, http: httpx.AsyncClient, rng: random.Random) -> str:
        data = {
            "lat": 41.3 + rng.random() / 100,
            "lng": -72.93 + rng.random() / 100,
            "address": f"{rng.randint(1, 999)} Chapel St",
            "summary": "Pothole (soak)",
        }
        headers = {"Authorization": f"Bearer {self.fixtures.access_token}"}
        return outcome_of(await http.post("/api/v2/issues", data=data, headers=headers), 201)

    async def client_credentials(self, http: httpx.AsyncClient, rng: random.Random) -> str:
        assert self.fixtures.client is not None
        answer = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=self.fixtures.client
        )
        if (outcome := outcome_of(answer, 200)) == OK:
            self.tokens.append((self.now(), answer.json()["access_token"]))
        return outcome

    async def refresh(self, http: httpx.AsyncClient, rng: random.Random) -> str:
        try:
            chain = self.chains.get_nowait()
        except asyncio.QueueEmpty:
            return await self.issues_list(http, rng)  # every chain busy (or dead)
        data = {"grant_type": "refresh_token", "refresh_token": chain.refresh_token}
        try:
            try:
                answer = await http.post(
                    "/oauth/token", data=data, auth=self.fixtures.bearer_client
                )
            except httpx.TransportError:
                # The answer was lost (a worker killed mid-request): send the
                # same refresh token again, as a careful client does; within
                # CIVICAUTH_REFRESH_GRACE_SECONDS it gets the same new pair.
                answer = await http.post(
                    "/oauth/token", data=data, auth=self.fixtures.bearer_client
                )
        except BaseException:
            self.chains.put_nowait(chain)
            raise
        outcome = outcome_of(answer, 200)
        if outcome == OK:
            body = answer.json()
            chain.refresh_token = body["refresh_token"]
            self.tokens.append((self.now(), body["access_token"]))
        if outcome.startswith("400 invalid_grant"):
            self.dead_chains += 1  # the grant was revoked: never hand it out again
        else:
            self.chains.put_nowait(chain)
        return outcome

    async def sign_in(self, http: httpx.AsyncClient, rng: random.Random) -> str:
        """Through the pages, as a browser: the form, the POST, a signed-in page."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT_S) as browser:
            page = await browser.get("/login")
            if (outcome := outcome_of(page, 200)) != OK:
                return outcome
            match = _CSRF.search(page.text)
            if match is None:
                return "no CSRF token"
            form = {
                "email": self.fixtures.email,
                "password": self.fixtures.password,
                "_csrf_token": match.group(1),
            }
            if (outcome := outcome_of(await browser.post("/login", data=form), 303)) != OK:
                return outcome
            return outcome_of(await browser.get("/account/security"), 200)

    # -- running --------------------------------------------------------------

    def kinds(self) -> dict[str, KindFunction]:
        found: dict[str, KindFunction] = {
            "issues-list": self.issues_list,
            "profile-bearer": self.profile_bearer,
            "profile-basic": self.profile_basic,
            "issue-write": self.issue_write,
            "client-credentials": self.client_credentials,
            "refresh": self.refresh,
            "sign-in": self.sign_in,
        }
        if self.fixtures.client is None:
            del found["client-credentials"]
        return found

    async def _one(self, name: str, kind: Callable[..., Awaitable[str]], *args: object) -> None:
        start = self.now()
        try:
            outcome = await kind(*args)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        self.records.append(Record(name, start, self.now(), outcome))

    async def _connection(
        self, http: httpx.AsyncClient, seed: int, deadline: float, weights: dict[str, int]
    ) -> None:
        rng = random.Random(seed)
        kinds = self.kinds()
        names = [n for n in weights if n in kinds]
        chosen = [weights[n] for n in names]
        while self.now() < deadline and len(self.records) < MAX_REQUESTS:
            name = rng.choices(names, chosen)[0]
            await self._one(name, kinds[name], http, rng)

    async def run(
        self, connections: int, seconds: float, weights: dict[str, int] | None = None
    ) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(
            base_url=self.base_url, limits=limits, timeout=TIMEOUT_S
        ) as http:
            deadline = self.now() + seconds
            await asyncio.gather(
                *(
                    self._connection(http, seed, deadline, weights or WEIGHTS)
                    for seed in range(connections)
                )
            )


async def check_tokens(base_url: str, tokens: list[str], connections: int = 32) -> TokenCheck:
    """Present each token to ``/oauth/token/info`` once; which failed and how."""
    failed: Counter[str] = Counter()
    queue = list(tokens)
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=TIMEOUT_S) as http:

        async def worker() -> None:
            while queue:
                token = queue.pop()
                try:
                    answer = await http.get(
                        "/oauth/token/info", headers={"Authorization": f"Bearer {token}"}
                    )
                    outcome = outcome_of(answer, 200)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                if outcome != OK:
                    failed[outcome] += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return TokenCheck(len(tokens), failed)
