"""How a resident signed in, as RFC 8176 Authentication Method Reference
values: what an ID token's ``amr`` claim says (OIDC Core §2).

- ``pwd``: the password;
- ``otp``: a one-time code, from an authenticator app (RFC 6238) or one of
  the single-use recovery codes (a one-time password too);
- ``hwk``: a passkey or security key (WebAuthn: proof of possession of a key
  held by an authenticator);
- ``mfa``: more than one factor. A passkey alone counts as two: the
  sign-in page asks the authenticator to verify the resident (PIN,
  fingerprint, face) as well as to hold the key.
"""

from __future__ import annotations

PASSWORD: tuple[str, ...] = ("pwd",)
PASSKEY_ALONE: tuple[str, ...] = ("hwk", "mfa")
# The factor a second step proved (accounts.factors.services.prove) -> the sign-in's amr.
_WITH_SECOND_FACTOR: dict[str, tuple[str, ...]] = {
    "totp": ("pwd", "otp", "mfa"),
    "recovery_code": ("pwd", "otp", "mfa"),
    "passkey": ("pwd", "hwk", "mfa"),
}
KNOWN = frozenset({"pwd", "otp", "hwk", "mfa"})


def with_second_factor(factor: str) -> tuple[str, ...]:
    """The methods of a password sign-in completed with ``factor``."""
    return _WITH_SECOND_FACTOR.get(factor, ("pwd", "mfa"))


def parse(stored: object) -> tuple[str, ...]:
    """Stored methods (a list, or a space-separated string) back as a tuple
    of known values; anything else is dropped."""
    values = stored.split() if isinstance(stored, str) else stored
    if not isinstance(values, list | tuple):
        return ()
    return tuple(value for value in values if isinstance(value, str) and value in KNOWN)
