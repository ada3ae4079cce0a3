"""OAuth requests as plain data: read on the event loop, handed to a worker
thread (Authlib and SQLAlchemy here are synchronous). No Authlib here, so
the pages can read requests without depending on it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request

# RFC 6749 Appendix A: every OAuth parameter, client_id and secret included,
# is VSCHAR (printable ASCII).
PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")

# Far above any legitimate request: the longest value is a redirect_uri
# (2000 characters, as stored), and no flow sends more than a dozen fields.
MAX_PARAMETERS = 32
MAX_NAME_LENGTH = 64
MAX_VALUE_LENGTH = 2000


class MalformedRequest(ValueError):
    """The request cannot be read as OAuth parameters (RFC 6749 §5.2 invalid_request)."""


@dataclass(frozen=True)
class OAuthInput:
    """An OAuth request as data: query and form parameters in order of arrival."""

    method: str
    uri: str
    headers: dict[str, str]  # lower-cased names, first value
    params: tuple[tuple[str, str], ...]
    address: str | None = None
    # The names that came in the query string rather than the form body.
    query_names: frozenset[str] = frozenset()

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)


def parse_urlencoded(raw: bytes) -> list[tuple[str, str]]:
    """Strict ``application/x-www-form-urlencoded``: UTF-8, bounded."""
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, errors="strict", max_num_fields=MAX_PARAMETERS
        )
    except (UnicodeDecodeError, ValueError):
        raise MalformedRequest("The parameters are not valid UTF-8 form encoding.") from None
    return pairs


def check_parameters(params: list[tuple[str, str]]) -> None:
    """RFC 6749 §3.1, §3.2: no parameter may be repeated. Appendix A: every
    OAuth parameter is printable ASCII, so anything else (control characters,
    NUL, non-ASCII) is refused here, as are oversized values, before anything
    looks them up or echoes them."""
    seen: set[str] = set()
    for name, value in params:
        if len(name) > MAX_NAME_LENGTH or len(value) > MAX_VALUE_LENGTH:
            raise MalformedRequest(f"The parameter {_shown(name)} is too long.")
        if not PRINTABLE_ASCII.fullmatch(name) or not PRINTABLE_ASCII.fullmatch(value):
            raise MalformedRequest("Parameters must be printable ASCII (RFC 6749 Appendix A).")
        if name in seen:
            raise MalformedRequest(f"The parameter {_shown(name)} is repeated.")
        seen.add(name)


def _shown(name: str) -> str:
    """A parameter name fit for an error description (RFC 6749 §5.2 charset)."""
    return "'" + re.sub(r'[^\x20-\x7e]|["\\]', "?", name[:MAX_NAME_LENGTH]) + "'"


FORM = "application/x-www-form-urlencoded"


async def _form_body(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # RFC 6749 §3.2, §4.1.3: parameters are form-encoded. Refused before the
    # body is read: a multipart body may already have been consumed (the CSRF
    # middleware reads its token from such forms), and reading it again waits
    # for bytes that never come.
    if media_type not in ("", FORM):
        raise MalformedRequest(f"Send the parameters as {FORM}.")
    body = await request.body()
    if body and media_type != FORM:
        raise MalformedRequest(f"Send the parameters as {FORM}.")
    return parse_urlencoded(body) if body else []


async def read_input(request: Request[Any, Any, Any]) -> OAuthInput:
    """Query and form parameters as data; raises MalformedRequest."""
    params = parse_urlencoded(request.scope["query_string"])
    query_names = frozenset(name for name, _ in params)
    if request.method == "POST":
        params += await _form_body(request)
    authorization = request.headers.getall("authorization", [])
    if len(authorization) > 1:
        raise MalformedRequest("Send at most one Authorization header.")
    headers = {"authorization": authorization[0]} if authorization else {}
    address = request.client.host if request.client else None
    return OAuthInput(
        request.method, str(request.url), headers, tuple(params), address, query_names
    )
