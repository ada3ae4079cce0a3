"""TOTP secrets are stored sealed (civicauth/keys.py) under a key of their own."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidTag

from civicauth.accounts.factors.totp import sealing_key
from civicauth.keys import derived_key, seal, unseal


def test_the_key_is_the_one_stored_secrets_were_sealed_with():
    # Seeds sealed before the key helpers were shared must still open.
    expected = hashlib.sha256(b"civicauth-totp-secret:app secret").digest()
    assert sealing_key("app secret") == expected
    assert sealing_key("app secret") != derived_key("app secret", "session")


def test_another_owner_or_key_cannot_open_it():
    key = sealing_key("app secret")
    sealed = seal(key, "JBSWY3DPEHPK3PXP", "42")
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert unseal(key, sealed, "42") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidTag):
        unseal(key, sealed, "43")
    with pytest.raises(InvalidTag):
        unseal(sealing_key("other secret"), sealed, "42")
