"""RFC 8414 authorization server metadata and OpenID Connect Discovery 1.0
provider metadata: exactly what is supported, from one source, so the two
documents name the same issuer, endpoints and algorithms."""

from __future__ import annotations

from typing import Any

from civicauth.clients.scopes import SCOPES

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
INTROSPECT_PATH = "/oauth/introspect"
TOKEN_INFO_PATH = "/oauth/token/info"
METADATA_PATH = "/.well-known/oauth-authorization-server"
# OpenID Connect, at Doorkeeper's paths (DESIGN.md, "OpenID Connect").
OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/oauth/discovery/keys"
USERINFO_PATH = "/oauth/userinfo"
END_SESSION_PATH = "/oauth/logout"
# OpenID Connect Core 1.0 §3: the code flow, the implicit flow's two response
# types and the hybrid one; "token" is RFC 6749 §4.2's implicit grant.
RESPONSE_TYPES = ["code", "token", "id_token", "id_token token", "code id_token"]
ID_TOKEN_ALGORITHMS = ["RS256", "ES256"]
OPENID_SCOPES = ("openid", "profile", "email")
# Core §5.1 claims this server issues, by scope (§5.4) and for every ID token (§2).
CLAIMS = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "at_hash",
    "c_hash",
    "name",
    "picture",
    "updated_at",
    "email",
    "email_verified",
]
# The interactive API documentation (OpenAPI), which states token lifetimes.
DOCS_PATH = "/docs"
# Where the demo app (``civicauth demo``) is sent back: a page showing what arrived.
DEMO_CALLBACK_PATH = "/oauth/demo/callback"


def scopes_supported() -> list[str]:
    """The registry's scopes, OpenID Connect's first (Core §3.1.2.1, §5.4),
    however the registry orders them."""
    return list(dict.fromkeys([*OPENID_SCOPES, *SCOPES]))


def server_metadata(issuer: str) -> dict[str, Any]:
    auth_methods = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "revocation_endpoint": issuer + REVOKE_PATH,
        "introspection_endpoint": issuer + INTROSPECT_PATH,
        "scopes_supported": scopes_supported(),
        "response_types_supported": list(RESPONSE_TYPES),
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": [
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials",
        ],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        # RFC 7662 §2.1: introspection is for clients that can authenticate.
        "introspection_endpoint_auth_methods_supported": auth_methods[:2],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        # RFC 8414 §2 has no field for token lifetimes; the documentation it
        # points to states them (the token endpoint's description).
        "service_documentation": issuer + DOCS_PATH,
    }


def openid_configuration(issuer: str) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3: the RFC 8414 document and what
    OpenID Connect adds to it."""
    return {
        **server_metadata(issuer),
        "jwks_uri": issuer + JWKS_PATH,
        "userinfo_endpoint": issuer + USERINFO_PATH,
        # RP-Initiated Logout 1.0 §2.1.
        "end_session_endpoint": issuer + END_SESSION_PATH,
        # The user id, the same for every app (DESIGN.md: no pairwise subjects).
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ID_TOKEN_ALGORITHMS),
        "claims_supported": list(CLAIMS),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
