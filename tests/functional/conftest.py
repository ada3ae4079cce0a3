"""Fixtures the functional tests share (the root conftest gives the rest)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.oauth_support import Resident
from tests.support import LiveServer


@pytest.fixture
def resident(server: LiveServer, make_user: Any) -> Iterator[Resident]:
    """A new user signed in to the module's server, as a browser would be.
    (The issues tests mean a user with Basic credentials, and say so locally.)"""
    person = Resident.new(server.url, make_user)
    yield person
    person.close()
