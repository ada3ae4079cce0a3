import pytest

from civicauth.auth.middleware import private_cache_control


@pytest.mark.parametrize(
    ("given", "wanted"),
    [
        ([], b"private"),
        ([(b"cache-control", b"public, max-age=60")], b"max-age=60, private"),
        ([(b"Cache-Control", b"max-age=5")], b"max-age=5, private"),
        ([(b"cache-control", b"no-store")], b"no-store"),
        ([(b"cache-control", b"private, max-age=5")], b"private, max-age=5"),
    ],
)
def test_cache_control_becomes_private(given, wanted):
    headers = private_cache_control([(b"content-type", b"application/json"), *given])
    assert headers == [(b"content-type", b"application/json"), (b"cache-control", wanted)]
