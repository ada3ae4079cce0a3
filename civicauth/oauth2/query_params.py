"""Secrets in a token request's query string (RFC 6749 §2.3.1: client
credentials MUST NOT ride in the request URI; codes and refresh tokens are as
secret), where proxies and servers log them.

SeeClickFix's documentation shows the token request with every parameter in
the query string, so clients written for it send them there. By default
(``CIVICAUTH_TOKEN_PARAMS_IN_QUERY=accept``) such a request still works, with a
``Warning`` header saying what to change and a count per app in the metrics;
with ``refuse`` it is ``400 invalid_request``."""

from __future__ import annotations

from civicauth.metrics import TOKEN_PARAMS_IN_QUERY
from civicauth.oauth2.client_auth import basic_credentials
from civicauth.oauth2.inputs import OAuthInput
from civicauth.oauth2.responses import OAuthResponse, json_error

SECRET_PARAMETERS = frozenset({"client_secret", "code", "code_verifier", "refresh_token", "token"})
ADVICE = (
    "Send client_secret, code, code_verifier, refresh_token and token in the "
    "form-encoded body, not in the query string (RFC 6749 section 2.3.1)."
)
# RFC 7234 §5.5 shape: warn-code warn-agent "warn-text"; 299 is "persistent".
WARNING = f'299 civicauth "{ADVICE}"'


def secrets_in_query(inp: OAuthInput) -> bool:
    """Whether any secret came in the query string (read once, by read_input)."""
    return not SECRET_PARAMETERS.isdisjoint(inp.query_names)


def refusal() -> OAuthResponse:
    return json_error(400, "invalid_request", ADVICE)


def note_accepted(inp: OAuthInput, answer: OAuthResponse) -> None:
    """Count the request for its app (only once the app has authenticated,
    so a caller cannot fill the metrics with made-up ids) and warn it."""
    client_id = "unauthenticated"
    if answer.status == 200:
        basic = basic_credentials(inp.headers.get("authorization"))
        client_id = basic[0] if basic else inp.get("client_id") or client_id
    TOKEN_PARAMS_IN_QUERY.labels(client_id).inc()
    answer.headers["Warning"] = WARNING
