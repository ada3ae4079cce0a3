"""A queued message's context sealed at rest: a reset or confirmation link
is a secret, and a message may wait for hours (an SMTP outage) or stay for
good (failed). The context is stored as ``{"sealed": "<base64 nonce +
ciphertext>"}``: AES-256-GCM under a key derived from the app's secret key,
bound to the message's address and template so that a sealed link cannot be
moved to another row and mailed elsewhere.

The seal travels in ``Session.info`` (``Database(url, info=session_info(settings))``),
so ``enqueue`` keeps its signature and the sender opens what it claims.
Rows written before sealing (a plain dict) still open, as they are.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy.orm import Session

from civicauth import keys
from civicauth.db.engine import given
from civicauth.settings import Settings

SEAL_KEY = "civicauth.mail.seal"
SEALED = "sealed"
_PURPOSE = "mail-context"


class SealBroken(Exception):
    """A sealed context that does not open under this key: sealed under
    another secret key, or altered since."""


class MailSeal:
    """Seals and opens mail contexts under one secret key."""

    def __init__(self, secret: str, previous: str = "") -> None:
        """Seals under ``secret``; opens under it or under ``previous``, so
        mail queued before a rotation of the secret key is still sent."""
        self._key = keys.SealKeys.derive(secret, previous, _PURPOSE)

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSeal:
        return cls(settings.resolved_secret_key(), settings.secret_key_previous)

    def __repr__(self) -> str:
        return "MailSeal(...)"

    def seal(self, context: dict[str, str], *, to: str, template: str) -> dict[str, str]:
        """The stored form of ``context``: ``{"sealed": ...}``, with a fresh
        nonce each time."""
        plain = json.dumps(context, separators=(",", ":"), sort_keys=True)
        box = keys.seal(self._key, plain, _bound_to(to, template))
        return {SEALED: base64.b64encode(box).decode("ascii")}

    def open(self, stored: dict[str, Any], *, to: str, template: str) -> dict[str, Any]:
        """The context as it was queued; a legacy unsealed dict as it is.
        Raises SealBroken when the seal does not open."""
        if not is_sealed(stored):
            return dict(stored)
        try:
            box = base64.b64decode(stored[SEALED], validate=True)
            plain = keys.unseal(self._key, box, _bound_to(to, template))
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise SealBroken("sealed under another secret key, or altered since") from exc
        opened = json.loads(plain)
        if not isinstance(opened, dict):
            raise SealBroken("the sealed context is not a mapping")
        return opened


def is_sealed(stored: Any) -> bool:
    """True for the form ``MailSeal.seal`` stores; False for a legacy context."""
    return isinstance(stored, dict) and set(stored) == {SEALED} and isinstance(stored[SEALED], str)


def _bound_to(to: str, template: str) -> str:
    """Associated data: the seal opens only on the row it was made for."""
    return f"{template}\x00{to}"


def session_info(settings: Settings) -> dict[str, Any]:
    """``Session.info`` for a Database whose sessions may queue or send mail."""
    return {SEAL_KEY: MailSeal.from_settings(settings)}


def seal_of(session: Session) -> MailSeal:
    """The seal the session's Database was given. Raises RuntimeError when it
    has none: a programming error, and never a reason to store plain text."""
    builder = "civicauth.mail.seal.session_info(settings)"
    return given(session, SEAL_KEY, MailSeal, "mail seal", builder)
