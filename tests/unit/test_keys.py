"""Derived keys and sealing under them (civicauth/keys.py)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidTag

from civicauth.keys import SealKeys, derived_key, seal, unseal


def test_derived_keys_are_the_ones_sessions_and_csrf_always_used():
    # Moving the helper must not change a key: sessions and CSRF tokens live on.
    assert derived_key("app secret", "session") == hashlib.sha256(b"session:app secret").digest()
    assert derived_key("app secret", "csrf") != derived_key("app secret", "session")
    assert len(derived_key("app secret", "mail-context")) == 32


def test_a_sealed_value_opens_only_under_its_key_and_context():
    key = derived_key("app secret", "mail-context")
    sealed = seal(key, "a link's secret", "row 1")
    assert b"secret" not in sealed
    assert sealed != seal(key, "a link's secret", "row 1")  # a fresh nonce
    assert unseal(key, sealed, "row 1") == "a link's secret"
    with pytest.raises(InvalidTag):
        unseal(key, sealed, "row 2")
    with pytest.raises(InvalidTag):
        unseal(derived_key("another secret", "mail-context"), sealed, "row 1")


def test_after_a_rotation_the_previous_key_still_opens_but_never_seals():
    old = SealKeys.derive("old secret", "", "mail-context")
    assert old.previous is None
    sealed = seal(old, "queued before", "row 1")
    rotated = SealKeys.derive("new secret", "old secret", "mail-context")
    assert unseal(rotated, sealed, "row 1") == "queued before"
    with pytest.raises(InvalidTag):
        unseal(rotated, sealed, "row 2")  # the context still binds
    with pytest.raises(InvalidTag):
        unseal(SealKeys.derive("new secret", "", "mail-context"), sealed, "row 1")
    # What the rotated keys seal opens under the new key alone.
    fresh = seal(rotated, "queued after", "row 1")
    assert unseal(derived_key("new secret", "mail-context"), fresh, "row 1") == "queued after"
    with pytest.raises(InvalidTag):
        unseal(old, fresh, "row 1")
