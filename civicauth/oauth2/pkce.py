"""PKCE (RFC 7636), S256 only, and required of public clients."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge


class S256CodeChallenge(CodeChallenge):
    """Authlib's extension defaults to ``plain`` and only insists on PKCE at
    the token endpoint; we refuse ``plain`` and insist at the authorization
    endpoint already, where the error can go back to the client."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if not challenge and not method:
            # RFC 7636 §4.4.1: a server that requires PKCE answers invalid_request.
            if grant.request.client.row.is_public:
                raise InvalidRequestError("Public clients must use PKCE (code_challenge, S256).")
            return
        super().validate_code_challenge(grant, redirect_uri)
        # RFC 7636 §4.3: without a method the challenge would be "plain".
        if method != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
