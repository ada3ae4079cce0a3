"""RFC 6238 time-based one-time passwords: SHA-1, 6 digits, 30 s steps,
one step either side for clock drift (RFC 6238 §5.2)."""

from __future__ import annotations

import hmac
import time

import pyotp

from civicauth.keys import SealKeys, derived_key

DIGITS = 6
STEP = 30
DRIFT_STEPS = 1
_PURPOSE = "civicauth-totp-secret"


def sealing_key(app_secret: str) -> bytes:
    """The key TOTP secrets are sealed with (civicauth/keys.py), derived from
    the app's secret key for this purpose alone."""
    return derived_key(app_secret, _PURPOSE)


def sealing_keys(app_secret: str, previous: str = "") -> SealKeys:
    """The sealing key, and the one under the previous secret key (if any)
    that still opens what was sealed before a rotation."""
    return SealKeys.derive(app_secret, previous, _PURPOSE)


def new_secret() -> str:
    """A new shared secret: 160 bits in base32 (RFC 4226 §4 recommends 160)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(
        name=account, issuer_name=issuer
    )


def current_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP)


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code ``code`` is, within the drift window; or None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    otp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    now = current_step(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(otp.generate_otp(step), code):
            return step
    return None
