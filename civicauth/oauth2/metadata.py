"""RFC 8414 authorization server metadata: exactly what is supported."""

from __future__ import annotations

from typing import Any

from civicauth.clients.scopes import SCOPES

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
INTROSPECT_PATH = "/oauth/introspect"
TOKEN_INFO_PATH = "/oauth/token/info"
USERINFO_PATH = "/oauth/userinfo"
METADATA_PATH = "/.well-known/oauth-authorization-server"
# The interactive API documentation (OpenAPI), which states token lifetimes.
DOCS_PATH = "/docs"
# Where the demo app (``civicauth demo``) is sent back: a page showing what arrived.
DEMO_CALLBACK_PATH = "/oauth/demo/callback"


def server_metadata(issuer: str) -> dict[str, Any]:
    auth_methods = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE_PATH,
        "token_endpoint": issuer + TOKEN_PATH,
        "revocation_endpoint": issuer + REVOKE_PATH,
        "introspection_endpoint": issuer + INTROSPECT_PATH,
        "scopes_supported": list(SCOPES),
        # OIDC Core §3: id_token and id_token token (implicit), code id_token (hybrid).
        "response_types_supported": [
            "code",
            "token",
            "id_token",
            "id_token token",
            "code id_token",
        ],
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
