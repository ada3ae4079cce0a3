"""CIVICAUTH_ID_TOKEN_TTL, _JWKS_MAX_AGE and _SIGNING_KEY_PUBLISH_DELAY: a new
key must be published longer than a relying party may cache the JWKS."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from civicauth.settings import PUBLISH_MARGIN, Settings


def test_the_defaults():
    settings = Settings()
    assert (settings.id_token_ttl, settings.jwks_max_age) == (3600, 600)
    assert settings.signing_key_publish_delay == 900


def test_the_delay_may_be_the_max_age_and_the_margin():
    settings = Settings(jwks_max_age=60, signing_key_publish_delay=60 + PUBLISH_MARGIN)
    assert settings.signing_key_publish_delay == 90


@pytest.mark.parametrize(
    ("max_age", "delay", "field"),
    [
        (600, 600, "signing_key_publish_delay"),
        (600, 629, "signing_key_publish_delay"),
        (-1, 900, "jwks_max_age"),
        (600, 0, "signing_key_publish_delay"),
    ],
)
def test_a_delay_a_cached_jwks_could_outlast_is_refused(max_age, delay, field):
    with pytest.raises(ValidationError) as refused:
        Settings(jwks_max_age=max_age, signing_key_publish_delay=delay)
    assert refused.value.errors()[0]["loc"] == (field,)


def test_a_command_names_the_bad_setting_in_one_line(tmp_path):
    env = {"CIVICAUTH_VAR_DIR": str(tmp_path), "CIVICAUTH_SIGNING_KEY_PUBLISH_DELAY": "10"}
    result = subprocess.run(
        [sys.executable, "-m", "civicauth", "keys", "list"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "CIVICAUTH_SIGNING_KEY_PUBLISH_DELAY" in result.stderr
