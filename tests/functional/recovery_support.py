"""Helpers for the recovery tests: ask for links, find them in mails, move
a link's expiry in the database."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import update

from civicauth.accounts.account_tokens import AccountToken
from civicauth.db import utcnow
from civicauth.tokens import secrets
from tests.functional.oauth_support import form_of
from tests.functional.pages import csrf_of

_CSRF_VALUE = re.compile(r'value="[^"]{20,}"')


def link_in(mail: EmailMessage, path: str) -> str:
    """The one link to ``path`` in a mail's text; its path and query."""
    links = re.findall(r"https?://[^/\s]+(" + re.escape(path) + r"\?token=\S+)", mail.get_content())
    assert len(links) == 1, mail.get_content()
    return links[0]


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


def ask_for_reset(client: httpx.Client, email: str) -> httpx.Response:
    token = csrf_of(client.get("/password/forgot").text)
    return client.post("/password/forgot", data={"email": email, "_csrf_token": token})


def follow_form(client: httpx.Client, link: str, path: str, **fields: str) -> httpx.Response:
    """Open a mailed link (GET) and submit the form it shows with ``fields``."""
    page = client.get(link)
    assert page.status_code == 200, page.text[:500]
    action, hidden = form_of(page.text, path)
    return client.post(action, data={**hidden, **fields})


def expire_link(ctx: Any, token: str) -> None:
    """Move a link's expiry into the past, as if its time had run out."""
    with ctx.db.transaction() as session:
        session.execute(
            update(AccountToken)
            .where(AccountToken.token_digest == secrets.digest(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


def without_secrets(html: str, *words: str) -> str:
    """A page's text with its CSRF token and the given words blanked, to
    compare two answers that should say the same."""
    html = _CSRF_VALUE.sub('value=""', html)
    for word in words:
        html = html.replace(word, "EMAIL")
    return html
