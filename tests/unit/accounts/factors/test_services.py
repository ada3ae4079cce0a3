"""Second-factor services on a real database: the stored secret is sealed,
recovery codes are digests and single-use, a TOTP step is spent once, and
the last factor takes the recovery codes with it."""

from __future__ import annotations

import hashlib
import time

import pyotp
import pytest
from sqlalchemy import select

from civicauth.accounts.factors import services as factors
from civicauth.accounts.factors.models import RecoveryCode, TotpFactor
from civicauth.accounts.factors.passkeys import RelyingParty
from civicauth.accounts.factors.totp import sealing_key
from civicauth.accounts.services import get_user
from civicauth.errors import ValidationFailed

KEY = sealing_key("unit test secret")
RP = RelyingParty.from_public_url("http://localhost:8000", "civicauth")


def enrol(ctx, user_id):
    with ctx.db.transaction() as session:
        user = get_user(session, user_id)
        secret = factors.pending_totp_secret(session, KEY, user)
        codes = factors.confirm_totp(
            session, KEY, user, pyotp.TOTP(secret).now(), address="127.0.0.1"
        )
    return secret, codes


def prove(ctx, user_id, code):
    with ctx.db.transaction() as session:
        return factors.prove(session, KEY, RP, get_user(session, user_id), factors.Proof(code=code))


def test_secret_is_sealed_and_codes_are_digests(ctx, make_user):
    user_id, _, _ = make_user()
    secret, codes = enrol(ctx, user_id)
    assert len(codes) == 10
    with ctx.db.read() as session:
        row = session.scalar(select(TotpFactor).where(TotpFactor.user_id == user_id))
        digests = set(
            session.scalars(select(RecoveryCode.digest).where(RecoveryCode.user_id == user_id))
        )
        assert factors.has_second_factor(session, user_id)
    assert secret.encode() not in row.secret_encrypted
    normalized = codes[0].replace("-", "")
    assert hashlib.sha256(normalized.encode()).hexdigest() in digests
    assert not any(code in digests for code in codes)


def test_an_unconfirmed_app_is_no_factor(ctx, make_user):
    user_id, _, _ = make_user()
    with ctx.db.transaction() as session:
        user = get_user(session, user_id)
        first = factors.pending_totp_secret(session, KEY, user)
        assert factors.pending_totp_secret(session, KEY, user) == first  # the same until confirmed
        assert not factors.has_second_factor(session, user_id)
        with pytest.raises(ValidationFailed):
            factors.confirm_totp(session, KEY, user, "000000", address="127.0.0.1")


def test_a_step_and_a_recovery_code_are_spent_once(ctx, make_user):
    user_id, _, _ = make_user()
    secret, codes = enrol(ctx, user_id)
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    assert prove(ctx, user_id, next_code) == "totp"
    assert prove(ctx, user_id, next_code) is None
    assert prove(ctx, user_id, codes[0]) == "recovery_code"
    assert prove(ctx, user_id, codes[0]) is None
    assert prove(ctx, user_id, "not-a-code") is None


def test_removing_the_last_factor_removes_the_recovery_codes(ctx, make_user):
    user_id, _, _ = make_user()
    enrol(ctx, user_id)
    with ctx.db.transaction() as session:
        user = get_user(session, user_id)
        assert factors.remove_factor(session, user, "totp", address="127.0.0.1")
        assert not factors.has_second_factor(session, user_id)
        assert factors.factors_of(session, user_id).recovery_codes_left == 0
        with pytest.raises(ValidationFailed):
            factors.regenerate_recovery_codes(session, user, address="127.0.0.1")


def test_the_relying_party_comes_from_the_public_url():
    rp = RelyingParty.from_public_url("https://reports.springfield.example:8443", "Reports")
    assert (rp.id, rp.origin, rp.name) == (
        "reports.springfield.example",
        "https://reports.springfield.example:8443",
        "Reports",
    )
    assert not rp.is_ip_address
    assert RelyingParty.from_public_url("http://127.0.0.1:8000", "x").is_ip_address
