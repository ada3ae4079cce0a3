"""Where mail goes: an SMTP server (``CIVICAUTH_SMTP_URL``), or ``.eml``
files under ``var/mail/`` when none is configured.

The sender runs them in a worker thread, so the standard library's smtplib
serves (plain, STARTTLS, implicit TLS, AUTH) without another dependency.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote

from pydantic import AnyUrl

from civicauth.db import utcnow
from civicauth.settings import Settings

# Ports when the URL names none: submission with STARTTLS (RFC 8314 §3.3
# keeps 587), implicit TLS (RFC 8314 §3.3: 465), plain SMTP 25.
STARTTLS_PORT, TLS_PORT, PLAIN_PORT = 587, 465, 25


class Transport(Protocol):
    def send(self, message: EmailMessage, message_id: int) -> str:
        """Deliver ``message``; return where it went, for the log. Raises on failure."""


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None
    ca_file: Path | None
    timeout: float

    @classmethod
    def from_url(cls, url: AnyUrl, ca_file: Path | None, timeout: float) -> SmtpTransport:
        """From a URL the settings validated (scheme, host, ``starttls`` flag)."""
        implicit_tls = url.scheme == "smtps"
        starttls = parse_qs(url.query or "").get("starttls") == ["true"]
        default_port = TLS_PORT if implicit_tls else STARTTLS_PORT if starttls else PLAIN_PORT
        return cls(
            host=url.host or "",
            port=url.port or default_port,
            implicit_tls=implicit_tls,
            starttls=starttls,
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            ca_file=ca_file,
            timeout=timeout,
        )

    @property
    def address(self) -> str:
        """The server as a URL without the password, for logs and status."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        flag = "?starttls=true" if self.starttls else ""
        return f"{scheme}://{user}{self.host}:{self.port}{flag}"

    def _tls(self) -> ssl.SSLContext:
        # Verified against the system's CAs, or the one CA file configured.
        return ssl.create_default_context(cafile=self.ca_file)

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls())
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            client.starttls(context=self._tls())
        return client

    def send(self, message: EmailMessage, message_id: int) -> str:
        with self._connect() as client:
            if self.username is not None:
                client.login(self.username, self.password or "")
            client.send_message(message)
        return self.address


@dataclass(frozen=True)
class FileOutbox:
    directory: Path

    @property
    def address(self) -> str:
        return str(self.directory.resolve())

    def send(self, message: EmailMessage, message_id: int) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{utcnow():%Y%m%dT%H%M%S}-{message_id}.eml"
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(message.as_bytes())
        # A reader of the directory never sees half a message.
        os.replace(partial, path)
        return str(path.resolve())


def transport_for(settings: Settings) -> SmtpTransport | FileOutbox:
    if settings.smtp_url is None:
        return FileOutbox(settings.var_dir / "mail")
    return SmtpTransport.from_url(settings.smtp_url, settings.smtp_ca_file, settings.smtp_timeout)
