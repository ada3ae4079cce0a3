"""What Authlib sees of a request: our OAuthInput behind its OAuth2Request."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

from civicauth.oauth2.inputs import OAuthInput


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
