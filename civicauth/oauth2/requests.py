"""What Authlib sees of an HTTP request: plain data, built on the event loop
and handed to a worker thread (Authlib and SQLAlchemy here are synchronous)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

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
    """RFC 6749 §3.1, §3.2: parameters sent without a value are treated as
    omitted and none may be repeated; we also refuse control characters and
    oversized values before anything looks them up."""
    seen: set[str] = set()
    for name, value in params:
        if len(name) > MAX_NAME_LENGTH or len(value) > MAX_VALUE_LENGTH:
            raise MalformedRequest(f"The parameter {name[:MAX_NAME_LENGTH]!r} is too long.")
        if _has_control(name) or _has_control(value):
            raise MalformedRequest("Parameters must not contain control characters.")
        if name in seen:
            raise MalformedRequest(f"The parameter {name!r} is repeated.")
        seen.add(name)


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


class CivicPayload(OAuth2Payload):
    def __init__(self, params: tuple[tuple[str, str], ...]) -> None:
        # RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
        self._data = {name: value for name, value in params if value != ""}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in params:
            if value != "":
                self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class CivicOAuth2Request(OAuth2Request):
    """Query and form merged: the token endpoint accepts parameters in the
    POST's query string too, as the SeeClickFix documentation sends them."""

    def __init__(self, inp: OAuthInput) -> None:
        super().__init__(method=inp.method, uri=inp.uri, headers=_Headers(inp.headers))
        self.payload = CivicPayload(inp.params)
        self.address = inp.address

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class _Headers(dict[str, str]):
    """Case-insensitive ``get``, which is all Authlib asks of headers."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())
