"""The usage page is exact under concurrent load: 8 threads send a few
hundred API requests by Basic, two apps' OAuth tokens and personal access
tokens to a server of two workers, each on a new connection; once both
workers have flushed, /admin/usage shows exactly what was sent, per method
and per application."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.usage_check import Key, usage_shown
from civicauth.context import AppContext
from civicauth.tokens.personal import create_personal_token
from tests.functional.oauth_support import register_app
from tests.functional.operator_support import make_operator
from tests.functional.pages import signed_in
from tests.grants import issue_tokens
from tests.support import Backend, live_server

THREADS = 8
PER_THREAD = 36
FLUSH = {"CIVICAUTH_USAGE_FLUSH_SECONDS": "0.2"}


def personal_token(ctx: AppContext, user_id: int) -> str:
    with ctx.db.transaction() as session:
        _, secret = create_personal_token(
            session, user_id, name="load", expires_in="30", scopes=["public"]
        )
    return secret


def until_flushed(client: httpx.Client, expected: dict[Key, int]) -> dict[Key, int]:
    """Read the page until its totals reach what was sent (the workers flush
    on their own schedule, in other processes), with a deadline."""
    deadline = time.monotonic() + 20
    while True:
        shown = usage_shown(client.get("/admin/usage").text)
        if all(shown.get(key, 0) >= count for key, count in expected.items()):
            return shown
        assert time.monotonic() < deadline, (shown, expected)
        time.sleep(0.1)


def test_counts_are_exact_under_concurrent_load_on_two_workers(
    backend: Backend, ctx: AppContext, make_user: Any, tmp_path: Path
) -> None:
    credentials: list[tuple[Key, dict[str, str] | tuple[str, str]]] = []
    for name in ("Pothole Pal", "Snow Route"):
        user_id, email, password = make_user()
        app = register_app(ctx, name=name)
        access, _ = issue_tokens(ctx, user_id, app.pk)
        credentials += [
            (("basic", ""), (email, password)),
            (("oauth", app.client_id), {"Authorization": f"Bearer {access}"}),
            (("personal", ""), {"Authorization": f"Bearer {personal_token(ctx, user_id)}"}),
        ]

    def send(thread: int) -> Counter[Key]:
        sent: Counter[Key] = Counter()
        # No keep-alive: each request a new connection, so both workers answer.
        with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as api:
            for n in range(PER_THREAD):
                key, credential = credentials[(thread + n) % len(credentials)]
                if isinstance(credential, tuple):
                    answer = api.get(url + "/api/v2/profile", auth=credential)
                else:
                    answer = api.get(url + "/api/v2/profile", headers=credential)
                assert answer.status_code == 200, answer.text
                sent[key] += 1
        return sent

    with live_server({**backend.env, **FLUSH}, tmp_path, workers=2) as server:
        url = server.url
        with ThreadPoolExecutor(THREADS) as pool:
            sent = sum(pool.map(send, range(THREADS)), Counter[Key]())
        expected = dict(sent)
        expected[("oauth", "")] = sum(n for (m, app), n in sent.items() if m == "oauth")
        assert sum(sent.values()) == THREADS * PER_THREAD

        _, email, password = make_operator(ctx, make_user)
        shown = until_flushed(signed_in(server, email, password), expected)

    # Not one more either (a count added twice, or a request counted twice).
    assert shown == expected
