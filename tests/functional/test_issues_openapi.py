"""Every operation of the OpenAPI document (``/openapi.json``) fuzzed by
schemathesis over HTTP, with HTTP Basic and with an OAuth bearer token: no
server error, and every response as the document describes it."""

from __future__ import annotations

import base64
import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civicauth.accounts.services import register_user
from tests.functional.issues_support import add_issue
from tests.functional.oauth_support import register_app
from tests.grants import issue_tokens

# The fuzzer is one user making hundreds of reports, comments and sign-ups.
SETTINGS = {
    "CIVICAUTH_ISSUE_CREATE_LIMIT": "100000/hour",
    "CIVICAUTH_COMMENT_CREATE_LIMIT": "100000/hour",
    "CIVICAUTH_SIGNUP_LIMIT_ADDRESS": "100000/hour",
}
ISSUE_OPERATIONS = [
    ("GET", "/api/v2/issues"),
    ("POST", "/api/v2/issues"),
    ("GET", "/api/v2/issues/{issue_id}"),
    ("POST", "/api/v2/issues/{issue_id}/close"),
    ("POST", "/api/v2/issues/{issue_id}/open"),
    ("GET", "/api/v2/issues/{issue_id}/comments"),
    ("POST", "/api/v2/issues/{issue_id}/comments"),
    ("POST", "/api/v2/issues/{issue_id}/vote"),
    ("DELETE", "/api/v2/issues/{issue_id}/vote"),
    ("POST", "/api/v2/issues/{issue_id}/follow"),
    ("DELETE", "/api/v2/issues/{issue_id}/follow"),
    ("GET", "/api/v2/profile/issues"),
]
OPERATIONS = [
    *ISSUE_OPERATIONS,
    ("GET", "/api/v2"),
    ("GET", "/api/v2/profile"),
    ("PUT", "/api/v2/profile"),
    ("POST", "/api/v2/users"),
    ("GET", "/api/v2/users/{user_id}"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("POST", "/oauth/introspect"),
    ("GET", "/oauth/token/info"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/oauth/discovery/keys"),
    ("GET", "/oauth/userinfo"),
    ("POST", "/oauth/userinfo"),
    ("GET", "/healthz"),
]
# Operations the document gives no parameter and no body: nothing for the
# negative mode to make invalid, so only valid requests are generated.
WITHOUT_INPUTS = {
    ("GET", "/api/v2"),
    ("GET", "/api/v2/profile"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/oauth/discovery/keys"),
    ("GET", "/healthz"),
}
RUNS = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode.is_positive or (method, path) not in WITHOUT_INPUTS
]
# CIVICAUTH_FUZZ_EXAMPLES=500 digs deeper than make test's modest count.
EXAMPLES = int(os.environ.get("CIVICAUTH_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzzer(ctx, server):
    """The fuzzer's credentials (HTTP Basic, and an OAuth access token with
    both scopes), and what exists for valid requests to act on."""
    with ctx.db.transaction() as session:
        user = register_user(
            session, ctx.passwords, name="Fuzzer", email="fuzz@example.com", password="x" * 12
        )
        user_id = user.id
    issue_id = add_issue(ctx, user_id, summary="Seeded issue")
    basic = base64.b64encode(b"fuzz@example.com:" + b"x" * 12).decode()
    access, _ = issue_tokens(ctx, user_id, register_app(ctx, server.url).pk)
    credentials = {
        "basic": {"Authorization": f"Basic {basic}"},
        "bearer": {"Authorization": f"Bearer {access}"},
    }
    return credentials, {"issue_id": issue_id, "user_id": user_id}


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


def _existing(path: str, ids: dict[str, int]) -> dict[str, int] | None:
    """Path parameters naming things that exist, for valid requests."""
    fixed = {name: value for name, value in ids.items() if "{" + name + "}" in path}
    return fixed or None


@pytest.mark.parametrize("credentials", ["basic", "bearer"])
@pytest.mark.parametrize(("method", "path", "mode"), RUNS)
def test_operation_conforms_to_its_schema(
    server, api_schema, fuzzer, method, path, mode, credentials
):
    by_scheme, ids = fuzzer
    headers = by_scheme[credentials]
    operation = api_schema[path][method]
    inputs = [*operation.path_parameters, *operation.query, *operation.headers, *operation.body]
    assert bool(inputs) is ((method, path) not in WITHOUT_INPUTS), "WITHOUT_INPUTS is out of date"
    # Valid requests act on an issue that exists; invalid ones aim anywhere.
    fixed = _existing(path, ids) if mode.is_positive else None

    statuses = []

    @given(case=operation.as_strategy(mode, path_parameters=fixed))
    @settings(
        max_examples=EXAMPLES if (method, path) in ISSUE_OPERATIONS else EXAMPLES * 3 // 5,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples on every run: no flaky failures
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)
        statuses.append(response.status_code)

    call()
    if mode.is_positive and method == "POST" and path.endswith(("/issues", "/comments")):
        # The documented body is one a client can actually succeed with.
        assert 201 in statuses


def test_every_operation_is_fuzzed(server):
    document = httpx.get(server.url + "/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert documented == set(OPERATIONS)


def test_openapi_json_is_the_document_served_under_docs(server):
    top = httpx.get(server.url + "/openapi.json")
    assert top.status_code == 200
    assert top.json() == httpx.get(server.url + "/docs/openapi.json").json()


def test_every_issue_operation_declares_its_security(server):
    document = httpx.get(server.url + "/openapi.json").json()
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert flows["authorizationCode"]["tokenUrl"] == "/oauth/token"
    assert flows["implicit"]["authorizationUrl"] == "/oauth/authorize"
    for path, operations in document["paths"].items():
        if not path.startswith(("/api/v2/issues", "/api/v2/profile/issues")):
            continue
        for method, operation in operations.items():
            security = operation["security"]
            if method == "get":
                assert {} in security or path == "/api/v2/profile/issues", (method, path)
            else:
                assert {"oauth2": ["write"]} in security, (method, path)
                assert {} not in security, (method, path)
            assert {"401", "422"} <= operation["responses"].keys(), (method, path)
