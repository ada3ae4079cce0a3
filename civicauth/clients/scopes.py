"""The scopes an application may ask for, each with the sentence the consent
page shows. The one home of scope names and their descriptions."""

from __future__ import annotations

# RFC 6749 §3.3: the server defines its scopes and a default for requests
# that name none. Order matters: the consent page lists them this way.
SCOPES: dict[str, str] = {
    # OpenID Connect Core §3.1.2.1: "openid" makes the request an OpenID
    # Connect one (an ID token naming the account); §5.4: "profile" and
    # "email" ask for those claims.
    "openid": (
        "Sign you in with your civicauth account and know that it is you (your account number)."
    ),
    "profile": "See your name and picture, and when your profile last changed.",
    "email": "See your email address and whether you have confirmed it.",
    "public": "See your profile, including your name and email address.",
    "write": (
        "Act for you: report issues, comment, vote and follow issues, and change your profile."
    ),
}
DEFAULT_SCOPE = "public"
# The scopes that say who the resident is, for apps that sign residents in
# (OpenID Connect). They mean nothing to the API itself.
OPENID_SCOPES = ("openid", "profile", "email")
# What the API reads (and what a personal access token may carry): a
# personal token goes to no app, so there is no ID token or userinfo for it
# to ask for.
API_SCOPES: dict[str, str] = {
    name: text for name, text in SCOPES.items() if name not in OPENID_SCOPES
}


def scope_list(scope: str | None) -> list[str]:
    """Space-separated scope string to a list without repeats, in order."""
    return list(dict.fromkeys((scope or "").split()))


def unknown_scopes(scope: str | None) -> list[str]:
    return [name for name in scope_list(scope) if name not in SCOPES]


def describe(scope: str) -> list[tuple[str, str]]:
    """(name, sentence) for each scope, in the order of ``SCOPES``."""
    names = set(scope_list(scope))
    return [(name, text) for name, text in SCOPES.items() if name in names]
