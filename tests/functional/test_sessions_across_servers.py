"""Two server processes on one database (as several hosts behind a load
balancer) share the pages' sessions: one signs in, the other knows it; a
sign-out on one ends the session on both at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from civicauth.web.config import SESSION_COOKIE
from tests.functional.pages import csrf_of, signed_in
from tests.support import LiveServer, live_server


@pytest.fixture(scope="module")
def second_server(backend, tmp_path_factory) -> Iterator[LiveServer]:
    with live_server(backend.env, tmp_path_factory.mktemp("second")) as running:
        yield running


def test_a_session_started_on_one_server_works_and_ends_on_the_other(
    server, second_server, make_user
):
    _, email, password = make_user(name="Hopping Resident")
    first = signed_in(server, email, password)
    cookie = first.cookies.get(SESSION_COOKIE)
    assert cookie
    # The same browser meeting another host: the same cookies.
    second = second_server.client(cookies=dict(first.cookies.items()))

    page = second.get("/account/security")
    assert page.status_code == 200
    assert "this session" in page.text

    token = csrf_of(page.text)
    assert second.post("/logout", data={"_csrf_token": token}).status_code == 303

    answer = first.get("/account/security")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
    first.close()
    second.close()
