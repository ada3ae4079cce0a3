"""Error pages for people (JSON surfaces have their own mapping)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import Template

from civicauth.web.render import page

MESSAGES = {
    403: (
        "This form has expired or did not come from this site. "
        "Go back, reload the page and try again."
    ),
    404: "There is nothing here.",
    405: "That is not something this page can do.",
}


def error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    status = exc.status_code
    message = MESSAGES.get(status, exc.detail)
    # Raised before routing, there may be no session to read flash messages from.
    return page("error.html", status, status=status, message=message, user=None, no_flash=True)
