"""Issues and comments in SeeClickFix's JSON shapes."""

from __future__ import annotations

from functools import cache
from typing import Any

from civicauth.api.v2.users import _iso, public_user
from civicauth.issues.queries import CommentRow, IssueFields, IssueRow
from civicauth.issues.services import Relationship

# SeeClickFix: blank fields are null, never missing; but an issue without a
# picture still has a representative image (a default one), which clients
# written for SeeClickFix require to be a URL.
NO_PICTURE = {"image_full": None, "image_square_100x100": None, "video_url": None}
DEFAULT_IMAGE_PATH = "/static/no-issue-image.png"


def no_media(issuer: str) -> dict[str, str | None]:
    return {**NO_PICTURE, "representative_image_url": issuer + DEFAULT_IMAGE_PATH}


# What every issue of one server shows alike, built once per issuer (a server
# has one) and shared by every response: read-only, never changed in place.
_shared_media = cache(no_media)


def display_status(status: str) -> str:
    """``open`` as SeeClickFix shows it: ``Open``."""
    return status.capitalize()


def issue_url(issuer: str, issue_id: int) -> str:
    return f"{issuer}/api/v2/issues/{issue_id}"


def issue_object(
    row: IssueRow, issuer: str, relationship: Relationship | None = None
) -> dict[str, Any]:
    issue = row.issue
    url = issue_url(issuer, issue.id)
    # Times stay datetimes: msgspec writes them as RFC 3339, UTC as "Z", the
    # same text ``_iso`` makes, without a Python call per field.
    body: dict[str, Any] = {
        "id": issue.id,
        "status": display_status(issue.status),
        "summary": issue.summary,
        "description": issue.description,
        "rating": issue.vote_count,
        "lat": issue.lat,
        "lng": issue.lng,
        "address": issue.address,
        "created_at": issue.created_at,
        "acknowledged_at": issue.acknowledged_at,
        "closed_at": issue.closed_at,
        "reopened_at": issue.reopened_at,
        "updated_at": issue.updated_at,
        "url": url,
        "html_url": f"{issuer}/issues/{issue.id}",
        "comment_url": f"{url}/comments",
        "media": _shared_media(issuer),
        # GeoJSON (RFC 7946 §3.1.2): longitude first.
        "point": {"type": "Point", "coordinates": [issue.lng, issue.lat]},
        "reporter": public_user({"id": issue.reporter_id, "name": row.reporter_name}, issuer),
        "vote_count": issue.vote_count,
        "comment_count": issue.comment_count,
    }
    if relationship is not None:
        body["current_user_relationship"] = {
            "voted": relationship.voted,
            "following": relationship.following,
            "reporter": relationship.reporter,
            "assignee": False,
        }
    return body


def parse_fields(raw: str | None) -> frozenset[str] | None:
    """The keys ``fields[issue]=a,b`` asks for, or None for all of them."""
    if raw is None:
        return None
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def narrowed(body: dict[str, Any], fields: frozenset[str] | None) -> dict[str, Any]:
    """Only the asked-for keys; ``id`` always. Unknown names are ignored, as a
    client written for a larger API may ask for keys this one lacks."""
    if fields is None:
        return body
    return {key: value for key, value in body.items() if key == "id" or key in fields}


def comment_object(row: CommentRow, issuer: str) -> dict[str, Any]:
    comment = row.comment
    return {
        "id": comment.id,
        "comment": comment.comment,
        "commenter": public_user({"id": comment.user_id, "name": row.commenter_name}, issuer),
        "media": dict(NO_PICTURE),
        "created_at": _iso(comment.created_at),
        "updated_at": _iso(comment.updated_at),
    }


def posted_comment(row: CommentRow, issue: IssueFields, issuer: str) -> dict[str, Any]:
    """A new comment (or status change), with the issue's state after it."""
    state = {"status": display_status(issue.status), "rating": issue.vote_count}
    return {**comment_object(row, issuer), "moderated": False, "issue": state}
