"""After the run: the operator's usage page against what wrk saw.

The seed adds an operator and a personal access token (``seed_usage``).
Once every server of the run has stopped (each flushes its counts as it
stops), the bench signs in as that operator, reads ``/admin/usage`` as a
browser would, and compares its totals per method, and its requests per
application, with the 2xx answers of the scenarios that count (each
scenario's ``usage``): the probe's one, the warm-up's and the measured run's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bench.server import ServerError, run_cli
from civicauth.db import Database
from civicauth.mail.seal import SEAL_KEY, MailSeal
from civicauth.tokens import secrets
from civicauth.tokens.personal import create_personal_token
from civicauth.usage.reports import METHODS

if TYPE_CHECKING:  # bench.table imports the scenarios, which import the seed, which imports this
    from bench.table import Outcome
    from bench.wrk import WrkResult

OPERATOR = {
    "email": "operator@bench.example",
    "name": "Bench Operator",
    "password": "bench operator pw 1",
}

# What the usage page shows, by the hooks its template gives them.
_METHOD_TOTAL = re.compile(r'<td data-total="(\w+)">(\d+)</td>')
_APP_ROW = re.compile(
    r'<tr><td><a href="/admin/apps/([^"]+)">[^<]*</a></td><td>[^<]*</td><td>(\d+)</td>'
)
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')

# A row of the comparison: a method's total (app "") or an app's OAuth requests.
Key = tuple[str, str]


def create_operator(env: dict[str, str], cwd: Path) -> tuple[str, str]:
    """An account with the operator role, made as an operator would
    (``civicauth users create --operator``): its (email, password)."""
    flags = [arg for key, value in OPERATOR.items() for arg in (f"--{key}", value)]
    done = run_cli(env, cwd, "users", "create", *flags, "--operator", "--json")
    if done.returncode != 0:
        raise ServerError(f"civicauth users create --operator failed: {done.stderr.strip()}")
    return str(json.loads(done.stdout)["email"]), OPERATOR["password"]


def issue_personal_token(env: dict[str, str], user_id: int) -> str:
    """A personal access token of the user, as the security page makes it
    (which queues the mail that tells its owner, hence the mail seal)."""
    secret_key = env["CIVICAUTH_SECRET_KEY"]
    info = {**secrets.session_info(secrets.TokenKeys(secret_key)), SEAL_KEY: MailSeal(secret_key)}
    db = Database(env["CIVICAUTH_DATABASE_URL"], info=info)
    try:
        with db.transaction() as session:
            _, token = create_personal_token(
                session, user_id, name="bench", expires_in="30", scopes=["public"]
            )
    finally:
        db.dispose()
    return token


def _successes(result: WrkResult | None) -> int:
    return 0 if result is None else result.requests - result.non_2xx


@dataclass(frozen=True)
class Expected:
    """What the scenarios sent that the page should count, and the slack."""

    sent: int = 0  # 2xx answers: probes, warm-ups and measured runs
    runs: int = 0  # wrk runs behind them

    def plus(self, sent: int, runs: int) -> Expected:
        return Expected(self.sent + sent, self.runs + runs)


def expected_counts(outcomes: Iterable[Outcome], oauth_app: str) -> dict[Key, Expected]:
    """Per method (app "") and for the one OAuth app whose token the bearer
    scenarios send (``oauth_app``): what the page should show."""
    expected: dict[Key, Expected] = {(method, ""): Expected() for method in METHODS}
    for outcome in outcomes:
        method = outcome.scenario.usage
        if method is None or outcome.result is None:
            continue  # counts nothing, or did not run (its probe was refused)
        # The probe answered 200 (or the scenario would not have run).
        sent = 1 + _successes(outcome.warmup) + _successes(outcome.result)
        runs = 1 + (outcome.warmup is not None)
        keys = [(method, "")] + ([("oauth", oauth_app)] if method == "oauth" else [])
        for key in keys:
            expected[key] = expected.get(key, Expected()).plus(sent, runs)
    return expected


def read_usage_page(base_url: str, email: str, password: str) -> dict[Key, int]:
    """Sign in as the operator and read ``/admin/usage``: the 30 days' total
    of each method, and each application's OAuth requests."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        login = client.get("/login")
        token = _CSRF.search(login.text)
        if token is None:
            raise ServerError("the sign-in page has no CSRF token")
        fields = {"email": email, "password": password, "_csrf_token": token.group(1)}
        signed_in = client.post("/login", data=fields)
        if signed_in.status_code != 303:
            raise ServerError(f"the operator could not sign in: {signed_in.status_code}")
        page = client.get("/admin/usage")
        if page.status_code != 200:
            raise ServerError(f"/admin/usage answered {page.status_code}")
    return usage_shown(page.text)


def usage_shown(html: str) -> dict[Key, int]:
    """What the usage page shows: each method's total over the 30 days (app
    ""), and each application's OAuth requests (by client id)."""
    shown: dict[Key, int] = {(m, ""): int(n) for m, n in _METHOD_TOTAL.findall(html)}
    shown.update({("oauth", app): int(n) for app, n in _APP_ROW.findall(html)})
    return shown


@dataclass(frozen=True)
class Row:
    key: Key
    expected: Expected
    shown: int
    slack: int  # at most this many more on the page than wrk saw

    @property
    def ok(self) -> bool:
        return 0 <= self.shown - self.expected.sent <= self.slack


def compare(expected: dict[Key, Expected], shown: dict[Key, int], connections: int) -> list[Row]:
    """One row per method and per application, on either side.

    The page may show a little more than wrk saw, never less: when wrk's
    time is up it stops reading, but each of its connections may have one
    request in flight, which the server still answers and counts. So at
    most one request per connection per wrk run is allowed over; a request
    wrk counted as 2xx the server necessarily counted, so none under.
    """
    keys = sorted(set(expected) | set(shown))
    return [
        Row(
            key,
            expected.get(key, Expected()),
            shown.get(key, 0),
            connections * expected.get(key, Expected()).runs,
        )
        for key in keys
    ]


def format_rows(rows: list[Row]) -> str:
    lines = [
        "| method | app | wrk 2xx | /admin/usage | over | allowed over | |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        method, app = row.key
        over = row.shown - row.expected.sent
        lines.append(
            f"| {method} | {app or '(all)'} | {row.expected.sent:,} | {row.shown:,} | {over:,} "
            f"| {row.slack:,} | {'✓' if row.ok else '✗'} |"
        )
    return "\n".join(lines)
