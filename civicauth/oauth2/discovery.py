"""OpenID Connect Discovery 1.0 over HTTP: the provider metadata and the
JWK Set its ``jwks_uri`` names.

The JWKS answer may be cached for ``CIVICAUTH_JWKS_MAX_AGE`` seconds
(``Cache-Control: public``) and carries an ETag of its body, the same in
every worker, that changes only when the keys do: a rotation (the new key
appears; later it moves to the front when it starts signing) and the end of
a replaced key's publication.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from litestar import Request, Response, Router, get
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec

from civicauth.oauth2.metadata import JWKS_PATH, OPENID_CONFIGURATION_PATH, openid_configuration
from civicauth.oauth2.provider import Provider
from civicauth.signing_keys.keyring import keyring_of
from civicauth.signing_keys.services import jwks, published_jwks

# As long as the RFC 8414 document: it changes only with a new release.
METADATA_MAX_AGE = 3600


@get(OPENID_CONFIGURATION_PATH, sync_to_thread=False, summary="OpenID provider metadata")
def openid_metadata(oauth2: Provider) -> Response[Any]:
    """OpenID Connect Discovery 1.0 §4."""
    return Response(
        openid_configuration(oauth2.config.issuer),
        headers={"Cache-Control": f"public, max-age={METADATA_MAX_AGE}"},
        media_type="application/json",
    )


@get(
    JWKS_PATH,
    sync_to_thread=True,
    summary="JWK Set: the keys that sign ID tokens",
    responses={
        200: ResponseSpec(
            data_container=dict[str, Any],
            description="RFC 7517 §5 JWK Set",
            media_type="application/jwk-set+json",
        ),
        304: ResponseSpec(data_container=None, description="Unchanged since the ETag sent"),
    },
)
def jwk_set(request: Request[Any, Any, Any], oauth2: Provider) -> Response[Any]:
    """RFC 7517 §5: the public keys that sign ID tokens now, will sign next,
    or signed tokens that may still be valid. Per algorithm, the key that
    signs now comes first."""
    # Reading only (no turn at SQLite's write lock), unless this is the very
    # first request and the first keys are to be made.
    with oauth2.db.read() as session:
        document = published_jwks(session)
        max_age = keyring_of(session).jwks_max_age
    if document is None:
        with oauth2.db.write_transaction() as session:
            document = jwks(session)
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag}
    if etag in _tags(request.headers.get("if-none-match", "")):
        return Response(b"", status_code=304, headers=headers)  # RFC 9110 §13.1.2
    return Response(body, headers=headers, media_type="application/jwk-set+json")


def _tags(if_none_match: str) -> set[str]:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return tags - {""}


def discovery_router(provider: Provider) -> Router:
    return Router(
        "/",
        route_handlers=[openid_metadata, jwk_set],
        dependencies={"oauth2": Provide(lambda: provider, use_cache=True, sync_to_thread=False)},
        tags=["OpenID Connect"],
    )
