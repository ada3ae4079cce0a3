"""RFC 6238 codes: SHA-1, 6 digits, 30 s, one step either side."""

from __future__ import annotations

import pyotp
import pytest

from civicauth.accounts.factors import totp

# RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890", 8 digits there;
# its last 6 digits are the 6-digit code of the same step.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(
    ("at", "code"), [(59, "287082"), (1111111109, "081804"), (1234567890, "005924")]
)
def test_rfc6238_vectors(at, code):
    assert totp.matching_step(RFC_SECRET, code, at=at) == at // 30


def test_one_step_either_side_and_no_further():
    secret = totp.new_secret()
    now = 1_700_000_000
    otp = pyotp.TOTP(secret)
    assert totp.matching_step(secret, otp.at(now - 30), at=now) == now // 30 - 1
    assert totp.matching_step(secret, otp.at(now + 30), at=now) == now // 30 + 1
    assert totp.matching_step(secret, otp.at(now - 60), at=now) is None
    assert totp.matching_step(secret, otp.at(now + 60), at=now) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_match_nothing(code):
    assert totp.matching_step(totp.new_secret(), code) is None


def test_spaces_in_a_typed_code_are_ignored():
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).now()
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}") is not None


def test_secret_has_160_bits_and_the_uri_names_the_service():
    secret = totp.new_secret()
    assert len(secret) == 32  # base32: 5 bits a character
    uri = totp.provisioning_uri(secret, "rita@example.com", "Springfield Reports")
    assert uri.startswith("otpauth://totp/Springfield%20Reports:rita%40example.com?")
    assert f"secret={secret}" in uri
