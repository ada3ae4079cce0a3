"""What the OpenAPI document says about the issue endpoints: shapes,
responses and the security each operation accepts.

The handlers build plain dicts (``fields[issue]`` narrows them at will); these
structs only describe them, so every key but ``id`` is optional here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from msgspec import Struct

from civicauth.issues.validation import ADDRESS_MAX, DECIMAL, SUMMARY_MAX, TEXT_MAX

# Reads need no credentials, and take them to fill current_user_relationship;
# writes need a user, and OAuth tokens need the ``write`` scope.
READ_SECURITY: list[dict[str, list[str]]] = [{}, {"basic": []}, {"bearer": []}, {"oauth2": []}]
USER_SECURITY: list[dict[str, list[str]]] = [{"basic": []}, {"bearer": []}, {"oauth2": []}]
WRITE_SECURITY: list[dict[str, list[str]]] = [{"basic": []}, {"bearer": []}, {"oauth2": ["write"]}]


class Avatar(Struct):
    full: str
    square_100x100: str


class PublicUser(Struct):
    id: int
    name: str
    avatar: Avatar
    civic_points: int
    role: str
    witty_title: str


class IssueMedia(Struct):
    image_full: str | None
    image_square_100x100: str | None
    representative_image_url: str  # a default image when the issue has none
    video_url: str | None


class CommentMedia(Struct):
    image_full: str | None
    image_square_100x100: str | None
    video_url: str | None


class GeoJSONPoint(Struct):
    type: str
    coordinates: list[float]


class CurrentUserRelationship(Struct):
    voted: bool
    following: bool
    reporter: bool
    assignee: bool


class IssueState(Struct):
    status: str
    rating: int


class IssueComment(Struct):
    id: int
    comment: str
    commenter: PublicUser
    media: CommentMedia
    created_at: datetime
    updated_at: datetime
    moderated: bool | None = None
    issue: IssueState | None = None


class CivicIssue(Struct):
    """An issue; ``fields[issue]`` may leave out any key but ``id``."""

    id: int
    status: str | None = None
    summary: str | None = None
    description: str | None = None
    rating: int | None = None
    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    created_at: datetime | None = None
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    updated_at: datetime | None = None
    url: str | None = None
    html_url: str | None = None
    comment_url: str | None = None
    media: IssueMedia | None = None
    point: GeoJSONPoint | None = None
    reporter: PublicUser | None = None
    vote_count: int | None = None
    comment_count: int | None = None
    current_user_relationship: CurrentUserRelationship | None = None
    comments: list[IssueComment] | None = None


class Pagination(Struct):
    entries: int
    page: int
    per_page: int
    pages: int
    next_page: int | None
    next_page_url: str | None
    previous_page: int | None
    previous_page_url: str | None


class Metadata(Struct):
    pagination: Pagination


class IssueCollection(Struct):
    errors: dict[str, list[str]]
    metadata: Metadata
    issues: list[CivicIssue]


class CommentCollection(Struct):
    errors: dict[str, list[str]]
    metadata: Metadata
    comments: list[IssueComment]


class VoteCreated(Struct):
    vote: int


class FollowCreated(Struct):
    follow: int


class ErrorBody(Struct):
    error: str
    error_description: str | None = None


class FieldErrors(Struct):
    errors: dict[str, list[str]]


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description)


BAD_REQUEST = {400: _error("Malformed body, or more than one authentication method")}
BAD_CREDENTIALS = {401: _error("Credentials were sent but are invalid (RFC 6750 §3.1)")}
NEEDS_USER = {401: _error("No or invalid credentials (RFC 6750 §3.1)")}
FORBIDDEN = {
    403: _error(
        "insufficient_scope (RFC 6750 §3.1), not the reporter, or a write a browser marked "
        "as cross-site (Sec-Fetch-Site)"
    )
}
NOT_FOUND = {404: _error("No such issue")}
INVALID = {422: ResponseSpec(data_container=FieldErrors, description="Each bad field named")}
LIMITED = {429: _error("Too many new issues or comments from this user; see Retry-After")}
UNSUPPORTED = {415: _error("A body that is not JSON, a form or multipart (by its Content-Type)")}


def ok(container: Any, description: str, status: int = 200) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(data_container=container, description=description)}


def read_responses(container: Any, description: str) -> dict[int, Any]:
    return {**ok(container, description), **BAD_REQUEST, **BAD_CREDENTIALS, **INVALID}


def write_responses(container: Any, description: str, status: int = 201) -> dict[int, Any]:
    success = ok(container, description, status) if container is not None else {}
    return {
        **success,
        **BAD_REQUEST,
        **NEEDS_USER,
        **FORBIDDEN,
        **NOT_FOUND,
        **UNSUPPORTED,
        **INVALID,
    }


def create_responses(container: Any, description: str) -> dict[int, Any]:
    """A write that creates an issue or a comment, which a per-user limit caps."""
    return {**write_responses(container, description), **LIMITED}


def _location(what: str) -> ResponseHeader:
    return ResponseHeader(
        name="Location",
        description=f"The new {what}'s URL",
        documentation_only=True,
        required=False,
    )


LOCATION = [_location("issue")]


def user_location() -> ResponseHeader:
    return _location("user")


# -- request bodies ----------------------------------------------------------
# The handlers read JSON, form and multipart bodies themselves (as SeeClickFix
# clients send all three), so the document states the bodies here.
BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def _text(limit: int, description: str, *, required: bool = False) -> Schema:
    if not required:
        return Schema(
            type=[OpenAPIType.STRING, OpenAPIType.NULL], max_length=limit, description=description
        )
    # Blank (all whitespace) is refused like missing.
    return Schema(type=OpenAPIType.STRING, max_length=limit, pattern=r"\S", description=description)


def _coordinate(limit: int, description: str) -> Schema:
    # Forms carry numbers as text: a number, or a decimal in a string.
    return Schema(
        type=[OpenAPIType.NUMBER, OpenAPIType.STRING],
        minimum=-limit,
        maximum=limit,
        pattern=DECIMAL,
        description=description,
    )


REPORT_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["lat", "lng", "address", "summary"],
    properties={
        "lat": _coordinate(90, "Latitude (WGS84)"),
        "lng": _coordinate(180, "Longitude (WGS84)"),
        "address": _text(ADDRESS_MAX, "Where it is, in words", required=True),
        "summary": _text(SUMMARY_MAX, "A short title", required=True),
        "description": _text(TEXT_MAX, "What is wrong"),
        "answers": Schema(
            type=OpenAPIType.OBJECT,
            description="SeeClickFix's report form: summary and description may come "
            "in here (JSON) or as answers[summary] (forms) instead.",
        ),
    },
)
COMMENT_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["comment"],
    properties={"comment": _text(TEXT_MAX, "The comment", required=True)},
)


def with_body(schema: Schema) -> type[Operation]:
    """An operation class that documents ``schema`` as its request body."""

    @dataclass
    class OperationWithBody(Operation):
        def __post_init__(self) -> None:
            content = {media: OpenAPIMediaType(schema=schema) for media in BODY_TYPES}
            self.request_body = RequestBody(content=content, required=True)

    return OperationWithBody


REPORT_OPERATION = with_body(REPORT_BODY)
COMMENT_OPERATION = with_body(COMMENT_BODY)
