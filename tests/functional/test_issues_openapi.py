"""The issue endpoints against their own OpenAPI document, fuzzed by schemathesis
over HTTP: no server error, and every response as the document describes it."""

from __future__ import annotations

import base64

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

# The fuzzer is one user making hundreds of reports and comments.
SETTINGS = {
    "CIVICAUTH_ISSUE_CREATE_LIMIT": "100000/hour",
    "CIVICAUTH_COMMENT_CREATE_LIMIT": "100000/hour",
}
OPERATIONS = [
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
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzzer(ctx):
    """Credentials for the fuzzer, and an issue of its own to act on."""
    with ctx.db.transaction() as session:
        user = register_user(
            session, ctx.passwords, name="Fuzzer", email="fuzz@example.com", password="x" * 12
        )
        user_id = user.id
    issue_id = add_issue(ctx, user_id, summary="Seeded issue")
    token = base64.b64encode(b"fuzz@example.com:" + b"x" * 12).decode()
    return {"Authorization": f"Basic {token}"}, issue_id


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_operation_conforms_to_its_schema(server, api_schema, fuzzer, method, path, mode):
    headers, issue_id = fuzzer
    operation = api_schema[path][method]
    # Valid requests act on an issue that exists; invalid ones aim anywhere.
    fixed = {"issue_id": issue_id} if "{issue_id}" in path and mode.is_positive else None

    statuses = []

    @given(case=operation.as_strategy(mode, path_parameters=fixed))
    @settings(
        max_examples=25,
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


def test_every_issue_operation_is_fuzzed(server):
    document = httpx.get(server.url + "/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path.startswith(("/api/v2/issues", "/api/v2/profile/issues"))
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
