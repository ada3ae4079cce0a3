"""Interim stand-in for the database signing keys (civicauth.signing_keys,
built alongside): one key pair per algorithm and process, with the same
calls, so the flows can be built and tested before the keys land. Replaced
by civicauth.signing_keys when that is merged; never for production."""

from __future__ import annotations

from functools import cache
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy.orm import Session


class InvalidToken(ValueError):
    """Not a token signed with one of our keys."""


@cache
def _key(alg: str) -> RSAKey | ECKey:
    if alg == "ES256":
        key: RSAKey | ECKey = ECKey.generate_key("P-256", parameters={"alg": alg, "use": "sig"})
    else:
        key = RSAKey.generate_key(2048, parameters={"alg": alg, "use": "sig"})
    key.ensure_kid()
    return key


def signing_jwk(session: Session, alg: str) -> RSAKey | ECKey:
    return _key(alg)


def jwks(session: Session) -> dict[str, Any]:
    return dict(KeySet([_key("RS256"), _key("ES256")]).as_dict(private=False))


def verify_jwt(
    session: Session, token: str, audience: str | None = None, allow_expired: bool = False
) -> dict[str, Any]:
    try:
        decoded = jwt.decode(token, KeySet([_key("RS256"), _key("ES256")]))
    except Exception as exc:
        raise InvalidToken(str(exc)) from None
    return dict(decoded.claims)
