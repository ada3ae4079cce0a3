"""A real SMTP server for the mail tests (aiosmtpd on a loopback port),
with a self-signed certificate for STARTTLS and implicit TLS."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.functional.pages import post_form

USER, PASSWORD = "mailer", "p@ss:word"
NEW_PASSWORD = "a different long password"


def change_password(client: httpx.Client, current: str) -> int:
    """Change the signed-in user's password on "Password & Security"; the status."""
    fields = {
        "action": "change_password",
        "current_password": current,
        "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD,
    }
    return post_form(client, "/account/security", fields).status_code


@dataclass
class Inbox:
    """What the SMTP server received, and who logged in."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, address: str, count: int = 1, timeout: float = 20) -> list[EmailMessage]:
        """The messages to ``address`` once ``count`` of them have arrived."""
        with self.arrived:
            done = self.arrived.wait_for(lambda: len(self._to(address)) >= count, timeout)
            assert done, f"no mail to {address} within {timeout} s"
            return self._to(address)

    def _to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def check_login(inbox: Inbox) -> Callable[..., AuthResult]:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        inbox.logins.append((login, password))
        # handled=False: the server answers (235 or 535) itself.
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)

    return authenticator


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "civicauth test mail")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@contextmanager
def smtp_server(
    port: int, *, mode: str = "plain", auth: bool = False, certs: tuple[Path, Path] | None = None
) -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1:port until the block ends. ``mode`` is
    ``plain``, ``starttls`` (STARTTLS required) or ``tls`` (implicit TLS)."""
    inbox = Inbox()
    options: dict[str, Any] = {}
    if auth:
        # AUTH over a plain connection only where the test says so (and then
        # offered, not required, which aiosmtpd warns against).
        plain = mode == "plain"
        options.update(
            authenticator=check_login(inbox), auth_required=not plain, auth_require_tls=not plain
        )
    if mode == "starttls":
        assert certs is not None
        options.update(tls_context=server_tls(*certs), require_starttls=True)
    if mode == "tls":
        assert certs is not None
        options["ssl_context"] = server_tls(*certs)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def wait_until(check: Callable[[], bool], timeout: float = 20) -> None:
    """Poll state another process changes (a row in the database), with a deadline."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)  # a database row written by another process: nothing to await
