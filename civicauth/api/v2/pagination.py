"""Pages of a collection, in SeeClickFix's ``metadata.pagination`` shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from litestar import Request
from litestar.di import Provide
from litestar.params import Parameter

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Far beyond any collection, and the offset it makes stays inside a 64-bit integer.
MAX_PAGE = 2**31 - 1
# Never echoed into the page links: a token in the query (RFC 6750 §2.3)
# must not spread into URLs that clients log and share.
_NOT_CARRIED = frozenset({"page", "access_token"})


@dataclass(frozen=True, slots=True)
class Page:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_params(
    page: Annotated[
        int, Parameter(ge=1, le=MAX_PAGE, description="The page to return, from 1.")
    ] = 1,
    per_page: Annotated[
        int,
        Parameter(
            ge=1,
            description=f"Items per page; above {MAX_PER_PAGE} is answered with {MAX_PER_PAGE}.",
        ),
    ] = DEFAULT_PER_PAGE,
) -> Page:
    return Page(page, min(per_page, MAX_PER_PAGE))


PAGE = Provide(page_params, sync_to_thread=False)


def page_url(request: Request[Any, Any, Any], base: str, page: int | None) -> str | None:
    """The absolute URL of another page of this request, its other parameters kept."""
    if page is None:
        return None
    # The raw query keeps the client's parameter order.
    query = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in query if k not in _NOT_CARRIED]
    return f"{base}{request.url.path}?{urlencode([*kept, ('page', str(page))])}"


def collection(
    key: str,
    items: list[dict[str, Any]],
    total: int,
    page: Page,
    request: Request[Any, Any, Any],
    base: str,
) -> dict[str, Any]:
    """SeeClickFix's collection response: errors, metadata.pagination and the items."""
    pages = math.ceil(total / page.per_page)
    next_page = page.page + 1 if page.page < pages else None
    # Past the end, "previous" leads back to the last page that has items.
    previous_page = min(page.page - 1, max(pages, 1)) if page.page > 1 else None
    pagination = {
        "entries": total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": pages,
        "next_page": next_page,
        "next_page_url": page_url(request, base, next_page),
        "previous_page": previous_page,
        "previous_page_url": page_url(request, base, previous_page),
    }
    return {"errors": {}, "metadata": {"pagination": pagination}, key: items}
