import random

import pytest

from civicauth.tokens import secrets
from civicauth.tokens.secrets import Kind, TokenKeys
from tests.token_support import forged, legacy

KEYED = [kind for kind in Kind if kind is not Kind.CLIENT_SECRET]
KEYS = TokenKeys("current key")


@pytest.mark.parametrize("kind", KEYED)
def test_minted_tokens_carry_their_kind(kind):
    token = KEYS.mint(kind)
    assert token.startswith(kind.value)
    assert len(token) == 57
    assert secrets.kind_of(token) is kind
    assert KEYS.kind_of(token) is kind


def test_client_secrets_keep_the_old_shape_and_no_mac():
    secret = secrets.mint_client_secret()
    assert secret.startswith("cvs_")
    assert len(secret) == 42
    assert secrets.kind_of(secret) is Kind.CLIENT_SECRET
    assert KEYS.kind_of(secret) is Kind.CLIENT_SECRET
    with pytest.raises(ValueError):
        KEYS.mint(Kind.CLIENT_SECRET)


def test_a_changed_character_fails_the_checksum():
    token = KEYS.mint(Kind.ACCESS)
    flipped = token[:4] + ("A" if token[4] != "A" else "B") + token[5:]
    assert secrets.kind_of(flipped) is None
    assert KEYS.kind_of(flipped) is None


@pytest.mark.parametrize("kind", KEYED)
def test_a_good_checksum_with_a_mac_under_another_key_is_refused(kind):
    token = forged(kind)
    assert secrets.kind_of(token) is kind  # what a secret scanner sees
    assert KEYS.kind_of(token) is None


def test_the_previous_key_still_opens_its_tokens_and_only_as_previous():
    old = TokenKeys("old key").mint(Kind.PERSONAL)
    assert TokenKeys("new key", "old key").kind_of(old) is Kind.PERSONAL
    assert TokenKeys("new key").kind_of(old) is None
    # New tokens are minted under the current key, never the previous one.
    new = TokenKeys("new key", "old key").mint(Kind.PERSONAL)
    assert TokenKeys("new key").kind_of(new) is Kind.PERSONAL
    assert TokenKeys("old key").kind_of(new) is None


@pytest.mark.parametrize("kind", KEYED)
def test_legacy_tokens_are_recognised_until_turned_off(kind):
    token = legacy(kind)
    assert secrets.kind_of(token) is kind
    assert KEYS.kind_of(token) is kind
    assert TokenKeys("current key", legacy=False).kind_of(token) is None


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "cva_",
        "xyz_" + "a" * 38,
        "cva_" + "!" * 38,
        "cva_short",
        "xyz_" + "a" * 53,
        "cva_" + "!" * 53,
    ],
)
def test_malformed_tokens_are_refused(bad):
    assert secrets.kind_of(bad) is None
    assert KEYS.kind_of(bad) is None


def test_a_client_secret_with_the_new_length_is_malformed():
    token = KEYS.mint(Kind.ACCESS)
    assert secrets.kind_of("cvs_" + token[4:]) is None


def test_tokens_are_unique_and_digests_are_sha256_hex():
    tokens = {KEYS.mint(Kind.ACCESS) for _ in range(1000)}
    assert len(tokens) == 1000
    digest = secrets.digest(next(iter(tokens)))
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_derive_is_deterministic_per_key_and_material():
    a = KEYS.derive(Kind.REFRESH, b"k1", "m")
    assert a == KEYS.derive(Kind.REFRESH, b"k1", "m")
    assert a != KEYS.derive(Kind.REFRESH, b"k2", "m")
    assert a != KEYS.derive(Kind.REFRESH, b"k1", "n")
    assert KEYS.kind_of(a) is Kind.REFRESH
    assert TokenKeys("other key").kind_of(a) is None


def test_sessions_without_token_keys_are_a_programming_error():
    class Bare:
        info: dict[str, object] = {}

    with pytest.raises(RuntimeError):
        secrets.keys_of(Bare())  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [1, 6, 15, 32])
def test_base62_numerals_are_the_numbers_last_digits(width):
    """What every minted token and every mac check is spelled in: read back
    digit by digit, the numeral is the number modulo 62**width."""
    rng = random.Random(width)
    for number in [
        0,
        61,
        62,
        62**width - 1,
        62**width,
        *(rng.getrandbits(200) for _ in range(200)),
    ]:
        numeral = secrets._base62(number, width)
        assert len(numeral) == width
        value = 0
        for digit in numeral:
            value = value * 62 + secrets._ALPHABET.index(digit)
        assert value == number % 62**width
