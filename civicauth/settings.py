"""Settings from ``CIVICAUTH_*`` environment variables (DESIGN.md, "Settings")."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qs

from limits import parse_many
from pydantic import (
    AnyUrl,
    Field,
    UrlConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from civicauth.errors import CivicAuthError

# Beyond the JWKS max-age, a new signing key waits this long before it signs:
# the workers' cache of key rows (a few seconds) and clock skew between hosts.
PUBLISH_MARGIN = 30

SmtpUrl = Annotated[AnyUrl, UrlConstraints(allowed_schemes=["smtp", "smtps"], host_required=True)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICAUTH_", extra="ignore")

    database_url: str = "sqlite:///var/civicauth.sqlite3"
    secret_key: str = ""
    # The key before the last rotation: tokens minted under it keep working,
    # and mail queued under it still opens. Empty: no previous key.
    secret_key_previous: str = ""
    # Tokens minted before they carried a mac (42 characters) are looked up as
    # before. Turn off once none are left (civicauth/tokens/secrets.py): then
    # a made-up token of that shape is refused without a database read too.
    legacy_tokens: bool = True
    issuer: str = "http://127.0.0.1:8000"
    redis_url: str | None = None
    # Prefix of every Redis key, so several deployments can share one Redis.
    redis_prefix: str = "civicauth"
    var_dir: Path = Path("var")

    access_token_ttl: int = Field(7200, gt=0)
    auth_code_ttl: int = Field(600, gt=0)
    refresh_grace_seconds: int = Field(0, ge=0)
    # RFC 9700 §4.14.2: a refresh token dies unused after the idle lifetime
    # (rotation makes "since issued" mean "since the chain was last used"),
    # and the whole chain dies the absolute lifetime after the grant's first token.
    refresh_token_idle_ttl: int = Field(30 * 24 * 3600, gt=0)
    refresh_token_max_ttl: int = Field(365 * 24 * 3600, gt=0)
    # RFC 6749 §2.3.1: secrets in the token request's query string, which the
    # SeeClickFix docs show: accepted with a Warning header, or refused.
    token_params_in_query: Literal["accept", "refuse"] = "accept"
    # Failed sign-ins (``limits`` notation): one address guessing one account
    # is stopped early; the account as a whole and the address as a whole
    # allow more, so guessing from elsewhere cannot lock the resident out.
    failed_auth_limit_account_address: str = "10/5minutes"
    failed_auth_limit_account: str = "100/5minutes"
    failed_auth_limit_address: str = "100/5minutes"
    # Sign-ups (each one pays argon2) per client address.
    signup_limit_address: str = "20/hour"
    # Issues and comments (status changes included) one user may create.
    issue_create_limit: str = "30/hour"
    comment_create_limit: str = "60/hour"
    auto_approve_apps: bool = False

    # How long a verified credential or token lookup is trusted before the
    # database is asked again; revocations take effect within this time in
    # every worker (DESIGN.md: "within one second").
    auth_cache_seconds: float = Field(1.0, ge=0, le=1.0)
    # Absolute lifetime of a verified Basic credential in the cache.
    credential_cache_ttl: int = Field(300, ge=0)

    # argon2id parameters (RFC 9106 second recommended option by default).
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_cost: int = Field(65536, ge=8)
    argon2_parallelism: int = Field(4, ge=1)

    # Behind a TLS-terminating proxy, take the scheme and client address from
    # X-Forwarded-Proto / -For, when the request comes from these addresses.
    trust_forwarded: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    # The HTTP server of ``civicauth serve``: granian measured faster here.
    server: Literal["granian", "uvicorn"] = "granian"
    # Log level of civicauth's own loggers (``civicauth serve --log-level``).
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    # ``json``: one JSON object per line (civicauth/logs.py); ``text`` for a terminal.
    log_format: Literal["text", "json"] = "text"
    # One line per request from ``civicauth.access`` (``serve --no-access-log``).
    access_log: bool = True
    # /metrics answers only with ``Authorization: Bearer <metrics_token>``, or
    # on its own address (``host:port``, served by ``civicauth serve``'s main
    # process); with neither, it is 404.
    metrics_token: str = Field("", repr=False)
    metrics_listen: str = ""

    # Mail (civicauth/mail): SMTP when set, else .eml files under var/mail/.
    smtp_url: SmtpUrl | None = Field(None, repr=False)
    smtp_ca_file: Path | None = None
    smtp_timeout: float = Field(10.0, gt=0)
    mail_from: str = "civicauth <no-reply@localhost>"
    service_name: str = Field("civicauth", min_length=1)
    mail_max_attempts: int = Field(10, ge=1)
    mail_retry_seconds: float = Field(30.0, gt=0)
    mail_retry_max_seconds: float = Field(3600.0, gt=0)
    mail_poll_seconds: float = Field(5.0, gt=0)
    # Sent mail is deleted this long after it went out (civicauth/upkeep/).
    mail_keep_sent_days: int = Field(7, ge=1)

    # Recovery and email confirmation (accounts/recovery.py): how often a
    # reset link may be asked for one email address and from one client
    # address; how many confirmation mails (resends and email changes) one
    # account may send; whether OAuth consent needs a confirmed email.
    password_reset_limit_email: str = "5/hour"
    password_reset_limit_address: str = "20/hour"
    email_link_limit_account: str = "5/hour"
    require_verified_email: bool = False

    # Sessions (web/session_store.py): a session idle this long is gone; a
    # sensitive action asks for the password again once it was last entered
    # longer ago than password_confirm_seconds.
    session_idle_days: int = Field(14, ge=1, le=400)
    password_confirm_seconds: int = Field(600, ge=0)

    # Second factors (civicauth/accounts/factors): how long the state between
    # a right password and the second factor lasts before signing in again.
    second_factor_timeout_seconds: int = Field(300, gt=0)

    # API usage (civicauth/usage): each process adds its counts to the table
    # this often (and on shutdown); ``civicauth tokens purge`` deletes days
    # older than usage_keep_days (at least the usage page's 30).
    usage_flush_seconds: float = Field(5.0, gt=0)
    usage_keep_days: int = Field(90, ge=30)
    # OpenID Connect signing keys (civicauth/signing_keys): an ID token's
    # lifetime, which is also how long a replaced key stays in the JWKS after
    # it last signed; how long a JWKS answer may be cached; and how long a new
    # key is published before it signs, which must outlast any cached JWKS
    # that lacks it (validated below).
    id_token_ttl: int = Field(3600, gt=0)
    jwks_max_age: int = Field(600, ge=0)
    signing_key_publish_delay: int = Field(900, gt=0)
    # Background upkeep (civicauth/upkeep/): every this many seconds one
    # process purges what has expired or was revoked; 0 turns it off (then
    # run ``civicauth tokens purge`` from cron).
    purge_interval: float = Field(300.0, ge=0)

    @field_validator(
        "failed_auth_limit_account_address",
        "failed_auth_limit_account",
        "failed_auth_limit_address",
        "signup_limit_address",
        "issue_create_limit",
        "comment_create_limit",
        "password_reset_limit_email",
        "password_reset_limit_address",
        "email_link_limit_account",
    )
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        parse_many(value)
        return value

    @field_validator("refresh_token_max_ttl")
    @classmethod
    def _max_not_below_idle(cls, value: int, info: ValidationInfo) -> int:
        idle = info.data.get("refresh_token_idle_ttl")  # absent when it was refused
        if idle is not None and value < idle:
            raise ValueError(
                f"must be at least CIVICAUTH_REFRESH_TOKEN_IDLE_TTL ({idle} s): "
                "an idle lifetime longer than the absolute one would never apply"
            )
        return value

    @field_validator("signing_key_publish_delay")
    @classmethod
    def _publish_outlasts_cache(cls, value: int, info: ValidationInfo) -> int:
        max_age = info.data.get("jwks_max_age")
        if max_age is not None and value < max_age + PUBLISH_MARGIN:
            raise ValueError(
                f"must be at least CIVICAUTH_JWKS_MAX_AGE + {PUBLISH_MARGIN} s "
                f"({max_age + PUBLISH_MARGIN} s): a relying party that cached the JWKS "
                "just before a rotation must see the new key before it signs"
            )
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        for host in filter(None, (h.strip() for h in value.split(","))):
            if host != "*":
                ipaddress.ip_network(host, strict=False)  # ValueError names the bad one
        return value

    @field_validator("metrics_token")
    @classmethod
    def _long_token(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("must be at least 16 characters (or empty: no token)")
        return value

    @field_validator("metrics_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if value:
            listen_address(value)  # ValueError says what is wrong
        return value

    @field_validator("smtp_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_flags(cls, value: AnyUrl | None) -> AnyUrl | None:
        if value is None:
            return None
        flags = parse_qs(value.query or "", keep_blank_values=True)
        starttls = flags.get("starttls", ["false"])
        if set(flags) - {"starttls"} or starttls not in (["true"], ["false"]):
            raise ValueError("the only query parameter is starttls=true or starttls=false")
        if value.scheme == "smtps" and starttls == ["true"]:
            raise ValueError("smtps:// is TLS from the start; starttls=true is for smtp://")
        return value

    @field_validator("mail_from")
    @classmethod
    def _one_address(cls, value: str) -> str:
        if "@" not in value or "\n" in value or "\r" in value:
            raise ValueError('must be one address, e.g. "civicauth <no-reply@example.org>"')
        return value

    @field_validator("issuer")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once into ``var/secret_key``."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if not path.exists():
            _create_private_file(path, secrets.token_urlsafe(48))
        self.secret_key = path.read_text().strip()
        return self.secret_key


def listen_address(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9100`` for IPv6) as (host, port)."""
    host, colon, port = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"must be host:port, e.g. 127.0.0.1:9100 (got {value!r})")
    return host, int(port)


def _create_private_file(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` unless it exists: private (0600) from its
    first byte, and whole or absent to every reader. The content goes to a
    temporary file of its own first, then is hard-linked into place; link
    fails when another process got there first, and its file is then kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    # O_EXCL: never write through a file or link someone else put there.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()


def load_settings() -> Settings:
    """The settings, for a command: a bad variable is a CivicAuthError whose
    one line names it (the command prints it and exits non-zero)."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "CIVICAUTH_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise CivicAuthError(f"invalid setting {name}: {first['msg']}") from None
