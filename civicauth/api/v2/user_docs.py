"""What the OpenAPI document says about ``/api/v2/profile`` and
``/api/v2/users``: SeeClickFix's user shapes, the bodies and the answers."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from msgspec import Struct

from civicauth.api.v2 import issue_docs as docs
from civicauth.api.v2.issue_docs import Avatar, PublicUser

__all__ = ["PublicUser"]


class Permissions(Struct):
    can_acknowledge: bool


class OwnProfile(Struct):
    """SeeClickFix's USER shape plus the email; ``{"id": null}`` alone
    without credentials."""

    id: int | None
    name: str | None = None
    avatar: Avatar | None = None
    civic_points: int | None = None
    role: str | None = None
    witty_title: str | None = None
    email: str | None = None
    email_verified: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    permissions: Permissions | None = None
    reported_issue_count: int | None = None
    closed_issue_count: int | None = None
    comments_count: int | None = None
    following_issue_count: int | None = None
    voted_issue_count: int | None = None


def _text(description: str) -> Schema:
    # A JSON number is taken as its text (api/v2/inputs.py), as lenient
    # SeeClickFix clients expect; anything else is a 422.
    return Schema(type=[OpenAPIType.STRING, OpenAPIType.NUMBER], description=description)


PROFILE_BODY = Schema(
    type=OpenAPIType.OBJECT,
    properties={"name": _text("A new display name")},
    description="Only the name changes here; the email changes on Password & Security.",
)
REGISTER_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["name", "email", "password", "password_confirmation"],
    properties={
        "name": _text("The display name"),
        "email": _text("The email address; a confirmation link is mailed there"),
        "password": _text("At least the length the server requires"),
        "password_confirmation": _text("The password again"),
    },
)
PROFILE_OPERATION = docs.with_body(PROFILE_BODY)
REGISTER_OPERATION = docs.with_body(REGISTER_BODY)

SIGNUPS_LIMITED = {
    429: ResponseSpec(
        data_container=docs.ErrorBody,
        description="Too many sign-ups from this client address; see Retry-After",
    )
}
NO_USER = {404: ResponseSpec(data_container=docs.ErrorBody, description="No such user")}

PROFILE_RESPONSES = {
    **docs.ok(OwnProfile, 'The caller\'s profile, or {"id": null} without credentials'),
    **docs.BAD_REQUEST,
    **docs.BAD_CREDENTIALS,
    **docs.INVALID,
}
PROFILE_CHANGE_RESPONSES = {
    **docs.ok(OwnProfile, "The changed profile"),
    **docs.BAD_REQUEST,
    **docs.NEEDS_USER,
    **docs.FORBIDDEN,
    **docs.UNSUPPORTED,
    **docs.INVALID,
}
REGISTER_RESPONSES = {
    **docs.ok(OwnProfile, "The new user (its URL in Location)", 201),
    **docs.BAD_REQUEST,
    **docs.BAD_CREDENTIALS,
    **docs.FORBIDDEN,
    **docs.UNSUPPORTED,
    **docs.INVALID,
    **SIGNUPS_LIMITED,
}
USER_RESPONSES = {
    **docs.ok(PublicUser, "What anyone may see of the user"),
    **docs.BAD_REQUEST,
    **docs.BAD_CREDENTIALS,
    **NO_USER,
    **docs.INVALID,
}
