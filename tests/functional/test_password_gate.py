"""Every password check goes through one gate: a burst of parallel guesses at
the pages verifies no more passwords than the limit (10 per account and
address, the default), as HTTP Basic already did."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from civicauth.accounts.models import AuditEvent
from civicauth.accounts.services import get_user
from tests.functional.pages import csrf_of, signed_in

LIMIT = 10  # CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS's default, per 5 minutes


def failures_recorded(ctx, user_id: int, event: str) -> int:
    """Password checks that failed: each one writes exactly one audit row."""
    with ctx.db.read() as session:
        query = select(func.count()).where(AuditEvent.user_id == user_id, AuditEvent.event == event)
        return session.scalar(query.select_from(AuditEvent))


async def burst(client: httpx.AsyncClient, path: str, forms: list[dict[str, str]]) -> Counter:
    """POST every form at once, each with the page's CSRF token; the statuses."""
    token = csrf_of((await client.get(path)).text)
    answers = await asyncio.gather(
        *(client.post(path, data={**form, "_csrf_token": token}) for form in forms)
    )
    for answer in answers:
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1
    return Counter(answer.status_code for answer in answers)


async def test_fifty_parallel_guesses_at_the_sign_in_page_verify_ten(server, ctx, make_user):
    user_id, email, _ = make_user()
    guesses = [{"email": email, "password": f"guess number {n}"} for n in range(50)]
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        statuses = await burst(client, "/login", guesses)
    assert statuses == {400: LIMIT, 429: 50 - LIMIT}
    assert failures_recorded(ctx, user_id, "sign_in_failed") == LIMIT


async def test_parallel_guesses_at_the_current_password_verify_ten(server, ctx, make_user):
    user_id, email, password = make_user()
    browser = signed_in(server, email, password)
    guesses = [
        {
            "action": "change_password",
            "current_password": f"guess number {n}",
            "password": "a brand new password",
            "password_confirmation": "a brand new password",
        }
        for n in range(30)
    ]
    async with httpx.AsyncClient(
        base_url=server.url, cookies=browser.cookies, timeout=60
    ) as client:
        statuses = await burst(client, "/account/security", guesses)
    browser.close()
    assert statuses == {422: LIMIT, 429: 30 - LIMIT}
    assert failures_recorded(ctx, user_id, "password_change_failed") == LIMIT
    with ctx.db.read() as session:
        assert ctx.passwords.verify(get_user(session, user_id).password_hash, password)
