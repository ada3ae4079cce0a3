import pytest

from civicauth.tokens import secrets
from civicauth.tokens.secrets import Kind


@pytest.mark.parametrize("kind", list(Kind))
def test_minted_tokens_carry_their_kind(kind):
    token = secrets.mint(kind)
    assert token.startswith(kind.value)
    assert secrets.kind_of(token) is kind


def test_a_changed_character_fails_the_checksum():
    token = secrets.mint(Kind.ACCESS)
    body = token[4:10]
    flipped = token[:4] + ("A" if body[0] != "A" else "B") + token[5:]
    assert secrets.kind_of(flipped) is None


@pytest.mark.parametrize("bad", ["", "cva_", "xyz_" + "a" * 38, "cva_" + "!" * 38, "cva_short"])
def test_malformed_tokens_are_refused(bad):
    assert secrets.kind_of(bad) is None


def test_tokens_are_unique_and_digests_are_sha256_hex():
    tokens = {secrets.mint(Kind.ACCESS) for _ in range(1000)}
    assert len(tokens) == 1000
    digest = secrets.digest(next(iter(tokens)))
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_derive_is_deterministic_per_key_and_material():
    a = secrets.derive(Kind.REFRESH, b"k1", "m")
    assert a == secrets.derive(Kind.REFRESH, b"k1", "m")
    assert a != secrets.derive(Kind.REFRESH, b"k2", "m")
    assert a != secrets.derive(Kind.REFRESH, b"k1", "n")
    assert secrets.kind_of(a) is Kind.REFRESH
