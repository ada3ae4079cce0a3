"""The scopes an application may ask for, each with the sentence the consent
page shows. The one home of scope names and their descriptions."""

from __future__ import annotations

# RFC 6749 §3.3: the server defines its scopes and a default for requests
# that name none. Order matters: the consent page lists them this way.
SCOPES: dict[str, str] = {
    "public": "See your profile, including your name and email address.",
    "write": (
        "Act for you: report issues, comment, vote and follow issues, and change your profile."
    ),
}
DEFAULT_SCOPE = "public"


def scope_list(scope: str | None) -> list[str]:
    """Space-separated scope string to a list without repeats, in order."""
    return list(dict.fromkeys((scope or "").split()))


def unknown_scopes(scope: str | None) -> list[str]:
    return [name for name in scope_list(scope) if name not in SCOPES]


def describe(scope: str) -> list[tuple[str, str]]:
    """(name, sentence) for each scope, in the order of ``SCOPES``."""
    names = set(scope_list(scope))
    return [(name, text) for name, text in SCOPES.items() if name in names]
