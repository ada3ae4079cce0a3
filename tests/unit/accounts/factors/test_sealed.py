"""TOTP secrets are stored sealed: AES-GCM under a key from the secret key."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from civicauth.accounts.factors.sealed import derive_key, seal, unseal


def test_round_trip_and_no_plaintext_in_the_sealed_bytes():
    key = derive_key("app secret", "totp-secret")
    sealed = seal(key, "JBSWY3DPEHPK3PXP", "42")
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert unseal(key, sealed, "42") == "JBSWY3DPEHPK3PXP"
    assert seal(key, "JBSWY3DPEHPK3PXP", "42") != sealed  # a fresh nonce each time


def test_another_owner_or_key_cannot_open_it():
    key = derive_key("app secret", "totp-secret")
    sealed = seal(key, "JBSWY3DPEHPK3PXP", "42")
    with pytest.raises(InvalidTag):
        unseal(key, sealed, "43")
    with pytest.raises(InvalidTag):
        unseal(derive_key("other secret", "totp-secret"), sealed, "42")
    assert derive_key("app secret", "session") != key
