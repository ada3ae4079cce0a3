from __future__ import annotations

from datetime import UTC, datetime

from civicauth.accounts.claims import claims_for
from civicauth.accounts.models import User

ISSUER = "https://city.example"


def resident(verified: bool) -> User:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    return User(
        id=42,
        email="jane@example.com",
        name="Jane",
        updated_at=when,
        email_verified_at=when if verified else None,
    )


def test_openid_alone_is_the_public_subject() -> None:
    assert claims_for(resident(True), {"openid"}, ISSUER) == {"sub": "42"}


def test_profile_and_email_add_their_claims() -> None:
    claims = claims_for(resident(False), {"openid", "profile", "email"}, ISSUER)
    assert claims == {
        "sub": "42",
        "name": "Jane",
        "picture": ISSUER + "/static/no-avatar-100.png",
        "updated_at": int(datetime(2026, 1, 2, tzinfo=UTC).timestamp()),
        "email": "jane@example.com",
        "email_verified": False,
    }


def test_email_verified_only_for_a_confirmed_address() -> None:
    assert claims_for(resident(True), {"email"}, ISSUER)["email_verified"] is True
