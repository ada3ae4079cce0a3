"""One resolver turns a request's credentials into a Principal.

Three outcomes, as in Starlette's authentication contract: a Principal,
None (no credentials: anonymous), or an AuthFailure for credentials that are
present but malformed, wrong, or throttled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from anyio import to_thread
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from civicauth.accounts import services as accounts
from civicauth.accounts.factors.services import second_factor_of
from civicauth.accounts.models import User
from civicauth.accounts.passwords import Passwords
from civicauth.accounts.validation import normalize_email
from civicauth.auth import errors
from civicauth.auth.cache import CredentialCache, Entry, KeyedLocks, now
from civicauth.auth.credentials import BasicCredentials, BearerCredentials, Credentials
from civicauth.auth.gate import PasswordGate, Throttled
from civicauth.auth.principal import ALL_SCOPES, Method, Principal
from civicauth.clients.models import APPROVED, PENDING
from civicauth.db import Database
from civicauth.issues.services import ACTIVITY_COUNTS, activity_counts
from civicauth.tokens import secrets
from civicauth.tokens import services as tokens
from civicauth.tokens.models import OAuthToken, PersonalAccessToken

# Basic with this user name takes a personal access token as the password.
TOKEN_USERNAME = "__token__"


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    stamp: str
    lifetime: float | None = None  # seconds the credential itself has left
    # The password was right, but the account has a second factor: Basic
    # with the password is refused (a personal access token is the way in).
    needs_token: bool = False
    # Why a credential that matched is refused anyway: the account is locked
    # ("locked"), or the token's app is suspended or rejected (its status).
    # Remembered like a success, so it is read once a second, not per request.
    refusal: str = ""


def _snapshot_columns() -> list[Any]:
    """What a user snapshot reads, in ``_snapshot``'s order: the profile,
    the security stamp, whether the account has a second factor, when it
    was locked, and the activity counts (correlated subqueries on ``User.id``)."""
    return [
        User.id,
        User.name,
        User.email,
        User.email_canonical,
        User.email_verified_at,
        User.created_at,
        User.updated_at,
        User.security_stamp,
        second_factor_of(User.id),
        User.locked_at,
        *activity_counts(User.id),
    ]


# The statements of the hot path, built once: each reads a credential and
# its user in one round trip (before, the token, the user, the factors and
# the counts were four), and yields plain rows, not ORM objects.
_SNAPSHOT = _snapshot_columns()
_USER = select(*_SNAPSHOT).where(User.id == bindparam("user_id"))
# A client_credentials token has no user: the outer join leaves its user
# columns empty.
_ACCESS_TOKEN = (
    tokens.live_access_token()
    .add_columns(*_SNAPSHOT)
    .outerjoin(User, User.id == OAuthToken.user_id)
)
_PERSONAL_TOKEN = (
    tokens.live_personal_token()
    .add_columns(*_SNAPSHOT)
    .join(User, User.id == PersonalAccessToken.user_id)
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    profile: dict[str, Any]
    # The security stamp, marked when the account has a second factor:
    # adding one changes it, so a cached Basic credential is checked again
    # (and refused) within the cache's freshness, in every worker. Marked
    # too while the account is locked, so locking or unlocking it does the same.
    stamp: str
    second_factor: bool
    locked: bool = False


def _snapshot(values: Sequence[Any]) -> Snapshot:
    """The snapshot in the values of ``_SNAPSHOT``'s columns."""
    user_id, name, email, canonical, verified_at, created_at, updated_at = values[:7]
    stamp, second_factor, locked = values[7], bool(values[8]), values[9] is not None
    counts = values[10:]
    profile = {
        "id": user_id,
        "name": name,
        "email": email,
        "email_canonical": canonical,
        "email_verified": verified_at is not None,
        "created_at": created_at,
        "updated_at": updated_at,
        **dict(zip(ACTIVITY_COUNTS, (int(c) for c in counts), strict=True)),
    }
    marks = (":2fa" if second_factor else "") + (":locked" if locked else "")
    return Snapshot(profile, stamp + marks, second_factor, locked)


def user_snapshot(db: Session | Connection, user_id: int) -> Snapshot | None:
    """The user's profile data, credential stamp and second factor, in one
    query; None if the user is gone."""
    row = db.execute(_USER, {"user_id": user_id}).first()
    return _snapshot(row) if row is not None else None


def profile_data(session: Session, user: User) -> dict[str, Any]:
    """What the API's user shapes are drawn from: the user and their activity
    counts, read as a snapshot is (one shape, one statement), inside the
    caller's transaction so a change it just made shows."""
    snapshot = user_snapshot(session, user.id)
    assert snapshot is not None  # the caller holds the user's row
    return snapshot.profile


def _usable(entry: Entry | _Verified) -> Principal:
    """The principal of a credential; raises its refusal: the account is
    locked, the token's app is suspended or rejected, or it is the password
    of an account with a second factor."""
    if entry.refusal == "locked":
        raise errors.account_locked(entry.principal.scheme)
    if entry.refusal:
        raise errors.app_not_usable(entry.refusal)
    if entry.needs_token:
        raise errors.password_needs_token()
    return entry.principal


class Resolver:
    def __init__(
        self,
        db: Database,
        passwords: Passwords,
        gate: PasswordGate,
        secret_key: str,
        tokens: secrets.TokenKeys,
        fresh_for: float = 1.0,
        credential_ttl: float = 300.0,
    ) -> None:
        self.db = db
        self.passwords = passwords
        self.gate = gate
        self.cache = CredentialCache(fresh_for=fresh_for)
        self._locks = KeyedLocks()
        self._key = secret_key.encode()
        self._tokens = tokens
        self._fresh_for = fresh_for
        self._credential_ttl = credential_ttl
        # A read of one statement needs no transaction around it: in
        # autocommit, PostgreSQL gets no BEGIN and ROLLBACK round trips
        # (SQLite's driver sends none for a SELECT either way). The same
        # pool; only the connections' mode differs.
        self._reads = db.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def resolve(self, credentials: Credentials | None, address: str) -> Principal | None:
        if credentials is None:
            return None
        if isinstance(credentials, BearerCredentials):
            return await self._bearer(credentials.token)
        if secrets.kind_of(credentials.password) is secrets.Kind.PERSONAL:
            return await self._token_as_password(credentials)
        return await self._basic(credentials, address)

    # -- Basic -------------------------------------------------------------

    def _fresh(self, key: str) -> Principal | None:
        entry = self.cache.get(key)
        if entry is not None and now() < entry.fresh_until:
            return _usable(entry)
        return None

    async def _basic(self, credentials: BasicCredentials, address: str) -> Principal:
        account = normalize_email(credentials.username)
        key = secrets.keyed_digest(self._key, "basic", account, credentials.password)
        if (principal := self._fresh(key)) is not None:
            return principal
        # A burst of requests with the same credentials pays argon2 (or the
        # revalidation) once rather than once each; guesses, which differ,
        # are serialised per account by the password gate.
        async with self._locks.hold(key):
            if (principal := self._fresh(key)) is not None:
                return principal
            if (principal := await self._still_good(key, account)) is not None:
                return principal
            return await self._check_password(credentials, account, key, address)

    async def _still_good(self, key: str, account: str) -> Principal | None:
        """A credential argon2 confirmed lately, if the password did not change
        since. No password is checked here, so no throttle applies: a resident
        already verified keeps working while others guess at the account."""
        entry = self.cache.get(key)
        if entry is None or now() - entry.verified_at >= self._credential_ttl:
            return None
        assert entry.principal.user_id is not None
        read_at = now()
        snapshot = await to_thread.run_sync(self._revalidate, entry.principal.user_id)
        if (
            snapshot is not None
            and snapshot.stamp == entry.stamp
            and snapshot.principal.profile.get("email_canonical") == account
        ):
            # The same stamp: the factor and the lock are as they were, so
            # is the refusal.
            kept = replace(snapshot, needs_token=entry.needs_token)
            self._remember(key, kept, verified_at=entry.verified_at, read_at=read_at)
            return _usable(kept)
        self.cache.drop(key)
        return None

    async def _check_password(
        self, credentials: BasicCredentials, account: str, key: str, address: str
    ) -> Principal:
        read_at = now()
        try:
            verified = await self.gate.check(
                account, address, partial(self._verify_password, credentials, address)
            )
        except Throttled as exc:
            raise errors.throttled(exc.retry_after) from None
        if verified is None:
            raise errors.invalid_credentials()
        # A refusal is remembered like a success: a script still sending the
        # password pays argon2 once, not on every request.
        self._remember(key, verified, verified_at=now(), read_at=read_at)
        return _usable(verified)

    def _verify_password(self, credentials: BasicCredentials, address: str) -> _Verified | None:
        with self.db.transaction() as session:
            user = accounts.check_sign_in(
                session,
                self.passwords,
                credentials.username,
                credentials.password,
                address=address,
                failed_event="basic_auth_failed",
            )
            if user is None:
                return None
            snapshot = user_snapshot(session, user.id)
        assert snapshot is not None
        return _Verified(
            Principal(user.id, ALL_SCOPES, "basic", profile=snapshot.profile, scheme=errors.BASIC),
            snapshot.stamp,
            needs_token=snapshot.second_factor,
            # Told only once the password is right: a guesser learns nothing.
            refusal="locked" if snapshot.locked else "",
        )

    def _revalidate(self, user_id: int) -> _Verified | None:
        with self._reads.connect() as connection:
            snapshot = user_snapshot(connection, user_id)
        if snapshot is None:
            return None
        principal = Principal(
            user_id, ALL_SCOPES, "basic", profile=snapshot.profile, scheme=errors.BASIC
        )
        return _Verified(principal, snapshot.stamp, refusal="locked" if snapshot.locked else "")

    # -- Bearer tokens -----------------------------------------------------

    async def _bearer(self, token: str) -> Principal:
        key = "bearer:" + secrets.digest(token)
        # Only a token whose mac was checked is ever cached, so a fresh entry
        # needs no second check: the mac costs ten times the digest, and
        # this is the path of every cached bearer request.
        if (principal := self._fresh(key)) is not None:
            return principal
        # The mac refuses a made-up or mistyped token without a database read.
        kind = self._tokens.kind_of(token)
        if kind not in (secrets.Kind.ACCESS, secrets.Kind.PERSONAL):
            raise errors.invalid_token()
        # Requests that find the entry stale together do one lookup, not one each.
        async with self._locks.hold(key):
            if (principal := self._fresh(key)) is not None:
                return principal
            read_at = now()
            verified = await to_thread.run_sync(self._lookup_token, token, kind)
            if verified is None:
                self.cache.drop(key)
                raise errors.invalid_token()
            self._remember(key, verified, verified_at=now(), read_at=read_at)
        return _usable(verified)

    def _lookup_token(self, token: str, kind: secrets.Kind) -> _Verified | None:
        """The live token and its user, in one statement (and, for a personal
        access token not used in the last minute, the note that it was)."""
        params = tokens.lookup_params(token)
        client_id: str | None = None
        refusal = ""
        if kind is secrets.Kind.ACCESS:
            with self._reads.connect() as connection:
                row = connection.execute(_ACCESS_TOKEN, params).first()
            if row is None:
                return None
            user_id, scope, client_id, expires_at, status = row[:5]
            # A pending app's tokens are its developer's own (Client.usable_by).
            if status not in (APPROVED, PENDING):
                refusal = status
            values = row[5:]
        else:
            with self.db.transaction() as session:
                row = session.execute(_PERSONAL_TOKEN, params).first()
                if row is None:
                    return None
                pat_id, user_id, scope, expires_at, last_used_at = row[:5]
                tokens.note_use(session, pat_id, last_used_at)
            values = row[5:]
        # No user (client_credentials): the outer join left its columns empty.
        snapshot = _snapshot(values) if values[0] is not None else None
        profile, stamp = (snapshot.profile, snapshot.stamp) if snapshot else ({}, "")
        if snapshot is not None and snapshot.locked:
            refusal = "locked"
        method: Method = "bearer" if kind is secrets.Kind.ACCESS else "personal_token"
        principal = Principal(
            user_id, frozenset(scope.split()), method, client_id=client_id, profile=profile
        )
        return _Verified(principal, stamp, lifetime=tokens.expiry_of(expires_at), refusal=refusal)

    async def _token_as_password(self, credentials: BasicCredentials) -> Principal:
        """A personal access token sent as the Basic password, with the owner's
        email or ``__token__`` as the user name."""
        try:
            principal = await self._bearer(credentials.password)
        except errors.AuthFailure as failure:
            if failure.description == errors.LOCKED:
                raise errors.account_locked(errors.BASIC) from None
            raise errors.invalid_credentials() from None
        username = normalize_email(credentials.username)
        if principal.method != "personal_token" or username not in (
            TOKEN_USERNAME,
            principal.profile.get("email_canonical"),
        ):
            raise errors.invalid_credentials()
        return replace(principal, scheme=errors.BASIC)

    def _remember(
        self, key: str, verified: _Verified, *, verified_at: float, read_at: float
    ) -> None:
        """Trust ``verified`` for the cache's freshness counted from ``read_at``,
        the moment before the database was asked: a change committed after
        that read is seen within the freshness however long the read took
        (a slow or queued read does not stretch the window)."""
        if self.cache.forgotten_since(verified.principal, read_at):
            return  # revoked while it was being read: ask again next time
        fresh = self._fresh_for
        if verified.lifetime is not None:
            fresh = min(fresh, verified.lifetime)
        entry = Entry(
            verified.principal,
            read_at + fresh,
            verified_at,
            verified.stamp,
            verified.needs_token,
            verified.refusal,
        )
        self.cache.put(key, entry)
