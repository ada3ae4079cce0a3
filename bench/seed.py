"""What the scenarios need in the database before the server starts.

Users and the client_credentials app go through the ``civicauth`` CLI, as an
operator would create them; the OAuth tokens, the authorization codes and the
100,000 issues are written with SQLAlchemy bulk inserts directly, because the
flows that would create them are not what these scenarios measure.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bench.server import ServerError, run_cli
from bench.usage_check import create_operator, issue_personal_token
from civicauth.accounts.models import User
from civicauth.accounts.validation import normalize_email
from civicauth.clients.models import Client
from civicauth.db import Base, Database, utcnow
from civicauth.issues.models import Issue
from civicauth.tokens import secrets
from civicauth.tokens.models import AuthorizationCode, OAuthToken

DEMO_EMAIL = "email@example.com"  # what `civicauth demo` seeds
DEMO_PASSWORD = "password"
REPORTER_EMAIL = "reporter@bench.example"

# A city-sized area (about 11 km square) around New Haven, CT, and a
# neighbourhood-sized box (about 1 km square, ~1% of the issues) to query.
CENTER = (41.3083, -72.9279)
CITY_HALF_SPAN = (0.05, 0.065)
BOX_HALF_SPAN = (0.005, 0.0065)

STATUS_WEIGHTS = {"open": 40, "acknowledged": 20, "closed": 35, "archived": 5}
SUMMARIES = (
    "Pothole",
    "Graffiti",
    "Streetlight out",
    "Illegal dumping",
    "Broken sidewalk",
    "Blocked storm drain",
    "Abandoned vehicle",
    "Overgrown lot",
)
STREETS = (
    "Chapel St",
    "Elm St",
    "Orange St",
    "Whitney Ave",
    "State St",
    "Crown St",
    "Grand Ave",
    "Dixwell Ave",
    "Ferry St",
    "Howard Ave",
)


@dataclass(frozen=True)
class Fixtures:
    email: str
    password: str
    access_token: str
    # Of the current shape with a valid checksum, but never issued (its mac is wrong).
    unknown_token: str
    client: tuple[str, str] | None  # (client_id, client_secret) for client_credentials
    client_unavailable: str
    issues: int
    bbox: dict[str, float] = field(default_factory=dict)
    # The confidential app the access token, the codes and the refresh tokens belong to.
    bearer_client: tuple[str, str] = ("", "")
    codes: tuple[str, ...] = ()  # unused authorization codes, one per request
    # The same with scope openid: each exchange signs an ID token too.
    openid_codes: tuple[str, ...] = ()
    refresh_tokens: tuple[str, ...] = ()  # live refresh tokens of distinct grants
    issue_id: int = 0
    search: str = "Streetlight"
    personal_token: str = ""  # the demo user's, for personal-valid
    # Who reads /admin/usage after the run (bench/usage_check.py): (email, password).
    operator: tuple[str, str] = ("", "")


# The five items of the seed's app registration, for both bench apps.
APP_FIELDS = {
    "organization": "civicauth bench",
    "technical_contact_name": "Bench Operator",
    "technical_contact_email": "bench@example.org",
    "technical_contact_phone": "+1 203 555 0100",
    "admin_contact_name": "Bench Operator",
    "admin_contact_email": "bench@example.org",
    "admin_contact_phone": "+1 203 555 0100",
}
REDIRECT_URI = "http://127.0.0.1/callback"


def options(values: dict[str, str]) -> list[str]:
    """``{"admin_contact_name": "X"}`` -> ``["--admin-contact-name", "X"]``."""
    return [arg for key, value in values.items() for arg in ("--" + key.replace("_", "-"), value)]


def _cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = run_cli(env, cwd, *args)
    if done.returncode != 0:
        raise ServerError(f"civicauth {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout


def create_reporter(env: dict[str, str], cwd: Path) -> int:
    user = {"email": REPORTER_EMAIL, "name": "Bench Reporter", "password": "bench reporter pw 1"}
    return int(json.loads(_cli(env, cwd, "users", "create", *options(user), "--json"))["id"])


def create_client_credentials_app(env: dict[str, str], cwd: Path) -> tuple[str, str] | str:
    """The app's (client_id, client_secret), or why it could not be created
    (the ``apps`` command may not exist yet)."""
    app = {"name": "Bench Load App", **APP_FIELDS, "redirect_uri": REDIRECT_URI,
           "grant_types": "client_credentials", "scopes": "public"}  # fmt: skip
    done = run_cli(env, cwd, "apps", "create", *options(app), "--json")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"`civicauth apps create` failed: {last}"
    try:
        created = json.loads(done.stdout)
        return str(created["client_id"]), str(created["client_secret"])
    except (json.JSONDecodeError, KeyError, TypeError):
        return f"`civicauth apps create --json` printed no client_id/client_secret: {done.stdout!r}"


@dataclass(frozen=True)
class BearerApp:
    client_pk: int
    client_id: str
    client_secret: str
    user_id: int


def create_bearer_app(session: Any, email: str) -> BearerApp:
    """The confidential code-flow app the user's tokens and codes belong to."""
    user_id = session.scalar(select(User.id).where(User.email_canonical == normalize_email(email)))
    if user_id is None:
        raise ServerError(f"no user {email} to issue a token for")
    client_secret = secrets.mint_client_secret()
    client = Client(
        client_id=secrets.new_client_id(),
        client_secret_digest=secrets.digest(client_secret),
        name="Bench Bearer App",
        **APP_FIELDS,
        redirect_uris=[REDIRECT_URI],
        is_public=False,
        grant_types="authorization_code refresh_token",
        scopes="public write openid",
        status="approved",
    )
    session.add(client)
    session.flush()
    return BearerApp(client.id, client.client_id, client_secret, user_id)


# Outlives any run.
LIFETIME = timedelta(days=1)
TOKENS = Base.metadata.tables[OAuthToken.__tablename__]
CODES = Base.metadata.tables[AuthorizationCode.__tablename__]


def _token_row(app: BearerApp, access: str, refresh: str | None = None) -> dict[str, Any]:
    now = utcnow()
    return {
        "access_token_digest": access,
        "refresh_token_digest": refresh,
        "client_pk": app.client_pk,
        "user_id": app.user_id,
        "grant_id": str(uuid.uuid4()),
        "scope": "public write",
        "issued_at": now,
        "grant_issued_at": now,
        "expires_at": now + LIFETIME,
    }


def issue_tokens(session: Any, app: BearerApp, refreshes: int) -> tuple[str, list[str]]:
    """One access token for the bearer scenarios and ``refreshes`` refresh
    tokens, each of its own grant, written as the token endpoint would."""
    keys = secrets.keys_of(session)  # the server's keys: its tokens carry its mac
    token = keys.mint(secrets.Kind.ACCESS)
    refresh_tokens = [keys.mint(secrets.Kind.REFRESH) for _ in range(refreshes)]
    rows = [_token_row(app, secrets.digest(token))]
    rows += [
        _token_row(app, secrets.digest(keys.mint(secrets.Kind.ACCESS)), secrets.digest(r))
        for r in refresh_tokens
    ]
    session.execute(insert(TOKENS), rows)
    return token, refresh_tokens


def mint_codes(session: Any, app: BearerApp, count: int, *, openid: bool = False) -> list[str]:
    """Unused authorization codes for the app's redirect URI, as the
    authorization endpoint stores them (digests only); with ``openid``, as
    an OpenID Connect request leaves them (a nonce, when and how the
    resident signed in), so that each exchange also signs an ID token."""
    codes = [secrets.keys_of(session).mint(secrets.Kind.CODE) for _ in range(count)]
    now = utcnow()
    sign_in = {"nonce": "bench-nonce", "auth_time": now, "amr": "pwd"} if openid else {}
    rows = [
        {
            "code_digest": secrets.digest(code),
            "client_pk": app.client_pk,
            "user_id": app.user_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid public" if openid else "public",
            "expires_at": now + LIFETIME,
            **sign_in,
        }
        for code in codes
    ]
    session.execute(insert(CODES), rows)
    return codes


def fill_access_tokens(database_url: str, total: int, chunk: int = 20_000) -> None:
    """Bulk-insert access tokens until ``total`` are stored, each like the
    first stored one but with a random digest: nobody holds these tokens, they
    fill the table and its indexes as a city's years of tokens would."""
    db = Database(database_url)
    try:
        with db.read() as session:
            stored = session.scalar(select(func.count()).select_from(TOKENS)) or 0
            first = session.execute(select(TOKENS).order_by(TOKENS.c.id).limit(1)).mappings().one()
        like = {k: v for k, v in first.items() if k not in ("id", "refresh_token_digest")}
        for start in range(stored, total, chunk):
            rows = [
                {**like, "access_token_digest": os.urandom(32).hex(), "grant_id": str(uuid.uuid4())}
                for _ in range(min(chunk, total - start))
            ]
            with db.transaction() as session:
                session.execute(insert(TOKENS), rows)
    finally:
        db.dispose()


def issue_rows(
    count: int, reporter_id: int, now: datetime | None = None, seed: int = 2024
) -> list[dict[str, Any]]:
    """Issues spread evenly over the city, with mixed statuses over two years
    before ``now``; the same for the same arguments."""
    rng = random.Random(seed)
    now = now or utcnow()
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=count)
    rows = []
    for status in statuses:
        created = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        acknowledged = created + timedelta(hours=rng.randrange(1, 72))
        closed = acknowledged + timedelta(days=rng.randrange(1, 30))
        rows.append(
            {
                "summary": rng.choice(SUMMARIES),
                "description": "",
                "status": status,
                "lat": CENTER[0] + rng.uniform(-CITY_HALF_SPAN[0], CITY_HALF_SPAN[0]),
                "lng": CENTER[1] + rng.uniform(-CITY_HALF_SPAN[1], CITY_HALF_SPAN[1]),
                "address": f"{rng.randrange(1, 1000)} {rng.choice(STREETS)}, New Haven, CT",
                "reporter_id": reporter_id,
                "created_at": created,
                "updated_at": closed if status in ("closed", "archived") else created,
                "acknowledged_at": None if status == "open" else acknowledged,
                "closed_at": closed if status in ("closed", "archived") else None,
                "reopened_at": None,
                "vote_count": 0,
                "comment_count": 0,
            }
        )
    return rows


# The Core table (not the mapped class): plain executemany, no ORM bookkeeping.
ISSUES = Base.metadata.tables[Issue.__tablename__]


def insert_issues(db: Database, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    """Core bulk inserts (executemany), one transaction for the lot."""
    with db.transaction() as session:
        for start in range(0, len(rows), chunk):
            session.execute(insert(ISSUES), rows[start : start + chunk])


def settle_statistics(db: Database) -> None:
    """On PostgreSQL, what autovacuum would do for a table written long ago:
    statistics for the planner, and a visibility map that lets an Index Only
    Scan skip the heap. Right after a bulk insert, without it, every index
    entry of a count costs a heap fetch, which no long-running database pays."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) issues"))


def bbox() -> dict[str, float]:
    return {
        "min_lat": round(CENTER[0] - BOX_HALF_SPAN[0], 6),
        "max_lat": round(CENTER[0] + BOX_HALF_SPAN[0], 6),
        "min_lng": round(CENTER[1] - BOX_HALF_SPAN[1], 6),
        "max_lng": round(CENTER[1] + BOX_HALF_SPAN[1], 6),
    }


def seed(env: dict[str, str], cwd: Path, issues: int, spendable: int) -> Fixtures:
    """Everything every scenario needs, on a freshly migrated database;
    ``spendable`` codes and as many refresh tokens for the scenarios that
    spend one per request."""
    _cli(env, cwd, "demo")
    reporter_id = create_reporter(env, cwd)
    app = create_client_credentials_app(env, cwd)
    operator = create_operator(env, cwd)
    keys = secrets.TokenKeys(env["CIVICAUTH_SECRET_KEY"])
    db = Database(env["CIVICAUTH_DATABASE_URL"], info=secrets.session_info(keys))
    try:
        with db.transaction() as session:
            bearer_app = create_bearer_app(session, DEMO_EMAIL)
            token, refresh_tokens = issue_tokens(session, bearer_app, spendable)
            codes = mint_codes(session, bearer_app, spendable)
            openid_codes = mint_codes(session, bearer_app, spendable, openid=True)
        personal_token = issue_personal_token(env, bearer_app.user_id)
        rows = issue_rows(issues, reporter_id)
        insert_issues(db, rows)
        settle_statistics(db)
        with db.read() as session:
            middle = session.scalar(select(func.min(ISSUES.c.id))) or 0
    finally:
        db.dispose()
    return Fixtures(
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        access_token=token,
        # Never issued, yet of the current shape with a good checksum: only
        # its mac (under another key) gives it away, and that costs no read.
        unknown_token=secrets.TokenKeys(os.urandom(32).hex()).mint(secrets.Kind.ACCESS),
        client=app if isinstance(app, tuple) else None,
        client_unavailable=app if isinstance(app, str) else "",
        issues=issues,
        bbox=bbox(),
        bearer_client=(bearer_app.client_id, bearer_app.client_secret),
        codes=tuple(codes),
        openid_codes=tuple(openid_codes),
        refresh_tokens=tuple(refresh_tokens),
        issue_id=middle + issues // 2,
        personal_token=personal_token,
        operator=operator,
    )
