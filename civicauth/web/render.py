"""One way to render a page: security headers and the signed-in user included."""

from __future__ import annotations

from typing import Any

from litestar.response import Template

# Pages never run inside another site's frame (clickjacking on consent and
# forms); no external assets are loaded, so 'self' covers everything.
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page(name: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=name, context=context, status_code=status_code, headers=PAGE_HEADERS
    )


def retry_later(answer: Template, retry_after: int) -> Template:
    """A page refused by a rate limit: ``Retry-After`` says when to come back
    (RFC 6585 §4, RFC 9110 §10.2.3), as the API's 429 does."""
    answer.headers["Retry-After"] = str(retry_after)
    return answer


def try_again_in(retry_after: int) -> str:
    """The words for that wait, for the page's message."""
    return f"Try again in about {max(1, round(retry_after / 60))} minute(s)."


def not_checked_now(retry_after: int) -> str:
    """The message next to a current-password field the sign-in limits keep
    from being checked (password change, email change, second factors)."""
    return "cannot be checked now: too many failed attempts. " + try_again_in(retry_after)
