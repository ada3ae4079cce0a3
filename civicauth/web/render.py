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
