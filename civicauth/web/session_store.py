"""The pages' sessions, kept on the server (table ``web_sessions``).

The cookie holds only a random id. The row is found by the id's SHA-256
digest, and its data (the signed-in user, flash messages, a secret shown
once) is sealed with AES-GCM under a key derived from the raw id and the
app's secret key: whoever reads the table cannot open it, and the cookie
carries none of it. Every worker and host on one database shares the rows.

Anonymous visitors get a row only once their session holds something (a
flash message, a half-finished sign-in); a page load that changes nothing
writes nothing, except ``last_seen_at`` at most once a minute. A row deleted
while a request was in flight (signed out from another browser) is never
brought back: an existing session is only ever updated, a new one always
gets a new id.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import SerializationException
from litestar.middleware.session.base import BaseSessionBackend
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.types import Message, ScopeSession

from civicauth import keys
from civicauth.accounts import web_sessions
from civicauth.accounts.models import User
from civicauth.auth.middleware import client_address as address_of
from civicauth.context import AppContext
from civicauth.db import utcnow
from civicauth.mail import enqueue
from civicauth.web.browsers import browser_name

AnyConnection = ASGIConnection[Any, Any, Any, Any]
HANDLE = "civicauth.session"
DEVICE_COOKIE = "civicauth_device"
# Browsers cap cookie lifetimes at 400 days (RFC 6265bis).
DEVICE_MAX_AGE = 400 * 24 * 3600
_RAW_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass
class SessionHandle:
    """What this request knows and wants of its session row (in the scope
    under ``HANDLE``; web/session.py sets the wishes)."""

    raw_id: str | None = None
    row_id: int | None = None
    user_id: int | None = None
    loaded: bytes = b""
    created_at: datetime | None = None
    last_seen_at: datetime | None = None
    password_confirmed_at: datetime | None = None
    # Wishes: a new id (sign-in, sign-out, own password change); the
    # password was entered in this request; a full sign-in (check the browser).
    renew: bool = False
    keep_created: bool = False
    password_entered: bool = False
    signed_in: bool = False
    cookies: list[Cookie] = field(default_factory=list)


def handle_of(connection: AnyConnection) -> SessionHandle:
    """This request's handle (a blank one where the middleware did not run)."""
    handle = connection.scope.get(HANDLE)
    if not isinstance(handle, SessionHandle):
        handle = SessionHandle()
        connection.scope[HANDLE] = handle  # type: ignore[literal-required]
    return handle


def _raw_valid(raw: str | None) -> bool:
    return raw is not None and _RAW_ID.match(raw) is not None


def _new_raw_id() -> str:
    return secrets.token_urlsafe(32)


class DatabaseSessionBackend(BaseSessionBackend["DatabaseSessionConfig"]):
    def _ctx(self, connection: AnyConnection) -> AppContext:
        ctx: AppContext = connection.scope["app"].state.ctx
        return ctx

    def _idle(self) -> timedelta:
        return timedelta(seconds=self.config.max_age)

    def _key(self, raw_id: str) -> bytes:
        # Keyed by the raw id, which only the browser holds: the table alone
        # opens nothing.
        derive = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=self.config.secret,
            info=b"civicauth session data",
        )
        return derive.derive(raw_id.encode())

    def seal(self, raw_id: str, plain: bytes) -> bytes:
        """The session's data (JSON, so UTF-8) sealed as every secret is
        (civicauth/keys.py), bound to this session's digest."""
        return keys.seal(self._key(raw_id), plain.decode(), web_sessions.digest_of(raw_id))

    def open(self, raw_id: str, sealed: bytes) -> bytes | None:
        """The plain data, or None when it does not open under this id."""
        try:
            return keys.unseal(self._key(raw_id), sealed, web_sessions.digest_of(raw_id)).encode()
        except (InvalidTag, ValueError):
            return None

    def get_session_id(self, connection: AnyConnection) -> str | None:
        return handle_of(connection).raw_id

    async def load_from_connection(self, connection: AnyConnection) -> dict[str, Any]:
        handle = SessionHandle()
        connection.scope[HANDLE] = handle  # type: ignore[literal-required]
        raw = connection.cookies.get(self.config.key)
        if not _raw_valid(raw):
            return {}
        assert raw is not None
        ctx = self._ctx(connection)

        def find() -> web_sessions.WebSession | None:
            with ctx.db.read() as db:
                return web_sessions.find_live(db, web_sessions.digest_of(raw), self._idle())

        row = await to_thread.run_sync(find)
        plain = self.open(raw, row.data) if row is not None else None
        if row is None or plain is None:
            return {}
        try:
            data = self.deserialize_data(plain)
        except SerializationException:
            return {}
        if not isinstance(data, dict):
            return {}
        handle.raw_id, handle.row_id, handle.user_id = raw, row.id, row.user_id
        handle.loaded, handle.created_at = plain, row.created_at
        handle.last_seen_at = row.last_seen_at
        handle.password_confirmed_at = row.password_confirmed_at
        return data

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: AnyConnection
    ) -> None:
        handle = handle_of(connection)
        data = scope_session if isinstance(scope_session, dict) else {}
        ctx = self._ctx(connection)
        headers = MutableScopeHeaders.from_message(message)
        if not data:
            if handle.row_id is not None:
                await to_thread.run_sync(self._delete, ctx, handle.row_id)
            if connection.cookies.get(self.config.key):
                self._set_cookie(headers, None)
        else:
            plain = self.serialize_data(data, connection.scope)
            raw = await to_thread.run_sync(self._save, ctx, connection, handle, data, plain)
            self._set_cookie(headers, raw)
        for cookie in handle.cookies:
            headers.add("Set-Cookie", cookie.to_header(header=""))

    def _set_cookie(self, headers: MutableScopeHeaders, raw_id: str | None) -> None:
        cookie = Cookie(
            key=self.config.key,
            value=raw_id or "",
            max_age=self.config.max_age if raw_id else 0,
            path=self.config.path,
            secure=self.config.secure,
            httponly=True,
            samesite=self.config.samesite,
        )
        headers.add("Set-Cookie", cookie.to_header(header=""))

    @staticmethod
    def _delete(ctx: AppContext, row_id: int) -> None:
        with ctx.db.transaction() as db:
            web_sessions.drop(db, row_id)

    def _save(
        self,
        ctx: AppContext,
        connection: AnyConnection,
        handle: SessionHandle,
        data: dict[str, Any],
        plain: bytes,
    ) -> str | None:
        """Write this request's session; the raw id for the cookie, or None
        when the session ended meanwhile. Runs in a thread."""
        now = utcnow()
        uid = data.get("uid") if isinstance(data.get("uid"), int) else None
        user_agent = connection.headers.get("user-agent", "")[:512]
        address = address_of(connection.scope)[:64]
        with ctx.db.transaction() as db:
            if handle.row_id is not None and handle.raw_id is not None and not handle.renew:
                values: dict[str, Any] = {}
                if plain != handle.loaded or uid != handle.user_id:
                    values.update(data=self.seal(handle.raw_id, plain), user_id=uid)
                seen = handle.last_seen_at
                if seen is None or now - seen >= web_sessions.LAST_SEEN_EVERY:
                    values.update(last_seen_at=now, user_agent=user_agent, address=address)
                if handle.password_entered:
                    values["password_confirmed_at"] = now
                if values and not web_sessions.touch(db, handle.row_id, **values):
                    return None
                return handle.raw_id
            if handle.row_id is not None:
                web_sessions.drop(db, handle.row_id)
            raw = _new_raw_id()
            confirmed = now if handle.password_entered else None
            if handle.keep_created and uid == handle.user_id:
                confirmed = confirmed or handle.password_confirmed_at
            created = handle.created_at if handle.keep_created and handle.created_at else now
            db.add(
                web_sessions.WebSession(
                    digest=web_sessions.digest_of(raw),
                    user_id=uid,
                    user_agent=user_agent,
                    address=address,
                    created_at=created,
                    last_seen_at=now,
                    password_confirmed_at=confirmed,
                    data=self.seal(raw, plain),
                )
            )
            if handle.signed_in and uid is not None:
                self._check_browser(db, connection, handle, uid, user_agent, address)
            return raw

    def _check_browser(
        self,
        db: Any,
        connection: AnyConnection,
        handle: SessionHandle,
        user_id: int,
        user_agent: str,
        address: str,
    ) -> None:
        """Remember this browser for the user (a long-lived device cookie);
        the first sign-in from one not seen before mails the user (not from
        the very first browser: a new account is no news)."""
        device = connection.cookies.get(DEVICE_COOKIE)
        if not _raw_valid(device):
            device = _new_raw_id()
        assert device is not None
        handle.cookies.append(
            Cookie(
                key=DEVICE_COOKIE,
                value=device,
                max_age=DEVICE_MAX_AGE,
                path="/",
                secure=self.config.secure,
                httponly=True,
                samesite="lax",
            )
        )
        if web_sessions.remember_browser(db, user_id, device):
            user = db.get(User, user_id)
            if user is not None:
                enqueue(
                    db,
                    user.email,
                    "new_browser_sign_in",
                    name=user.name,
                    browser=browser_name(user_agent),
                    address=address or "unknown",
                )


@dataclass
class DatabaseSessionConfig(ServerSideSessionConfig):
    """Litestar's server-side session settings (cookie name, lifetime,
    flags, excluded paths), with our backend and the key its seals derive from."""

    _backend_class = DatabaseSessionBackend  # type: ignore[assignment]
    secret: bytes = b""
