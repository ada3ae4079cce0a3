"""CIVICAUTH_REFRESH_TOKEN_IDLE_TTL and _MAX_TTL: positive whole seconds,
the idle lifetime no longer than the absolute one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from civicauth.settings import Settings
from civicauth.tokens.oauth_tokens import RefreshLifetimes


def test_the_defaults_are_thirty_days_idle_and_a_year_in_all():
    lifetimes = RefreshLifetimes.from_settings(Settings())
    assert lifetimes == RefreshLifetimes(timedelta(days=30), timedelta(days=365))


def test_idle_may_equal_the_maximum():
    settings = Settings(refresh_token_idle_ttl=60, refresh_token_max_ttl=60)
    assert RefreshLifetimes.from_settings(settings).absolute == timedelta(seconds=60)


@pytest.mark.parametrize(
    ("idle", "maximum", "field"),
    [
        (0, 60, "refresh_token_idle_ttl"),
        (60, -1, "refresh_token_max_ttl"),
        ("1.5", 60, "refresh_token_idle_ttl"),
        (61, 60, "refresh_token_max_ttl"),
    ],
)
def test_bad_lifetimes_are_refused_naming_the_setting(idle, maximum, field):
    with pytest.raises(ValidationError) as refused:
        Settings(refresh_token_idle_ttl=idle, refresh_token_max_ttl=maximum)
    assert refused.value.errors()[0]["loc"] == (field,)
