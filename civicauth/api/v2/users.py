"""``/api/v2/profile`` and ``/api/v2/users``: SeeClickFix's user shapes."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, get, post, put
from litestar.exceptions import TooManyRequestsException
from litestar.params import Parameter

from civicauth.accounts import recovery
from civicauth.accounts import services as accounts
from civicauth.accounts.claims import DEFAULT_AVATAR_PATH
from civicauth.api.v2 import issue_docs as docs
from civicauth.api.v2 import user_docs
from civicauth.api.v2.guards import current_principal, current_user_id, write_scope
from civicauth.api.v2.inputs import read_input, require_text
from civicauth.auth.middleware import client_address
from civicauth.auth.resolver import profile_data
from civicauth.context import AppContext

AnyRequest = Request[Any, Any, Any]
UserId = Annotated[int, Parameter(description="The user's id.")]


# A cached credential's profile is answered on every request with the same
# two times: formatting them cost more than the rest of the answer together.
@lru_cache(maxsize=4096)
def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def avatar(issuer: str) -> dict[str, str]:
    url = issuer + DEFAULT_AVATAR_PATH
    return {"full": url, "square_100x100": url}


def public_user(data: dict[str, Any], issuer: str) -> dict[str, Any]:
    """USER_4_PUBLIC: what anyone may see of a user."""
    return {
        "id": data["id"],
        "name": data["name"],
        "avatar": avatar(issuer),
        "civic_points": 0,
        "role": "Registered User",
        "witty_title": "",
    }


def own_profile(data: dict[str, Any], issuer: str) -> dict[str, Any]:
    """SeeClickFix's USER shape plus the email: only ever shown to its owner."""
    return {
        **public_user(data, issuer),
        "email": data["email"],
        "email_verified": data["email_verified"],
        "created_at": _iso(data["created_at"]),
        "updated_at": _iso(data["updated_at"]),
        "permissions": {"can_acknowledge": False},
        "reported_issue_count": data["reported_issue_count"],
        "closed_issue_count": data["closed_issue_count"],
        "comments_count": data["comments_count"],
        "following_issue_count": data["following_issue_count"],
        "voted_issue_count": data["voted_issue_count"],
    }


@get(
    "/profile",
    sync_to_thread=False,
    summary="The current user",
    security=docs.READ_SECURITY,
    responses=user_docs.PROFILE_RESPONSES,
)
def get_profile(request: AnyRequest, ctx: AppContext) -> dict[str, Any]:
    """The caller's own profile; ``{"id": null}`` without credentials, as SeeClickFix does."""
    principal = current_principal(request)
    if principal is None or principal.user_id is None:
        return {"id": None}
    return own_profile(principal.profile, ctx.settings.issuer)


@put(
    "/profile",
    guards=[write_scope],
    summary="Change the current user's name",
    security=docs.WRITE_SECURITY,
    responses=user_docs.PROFILE_CHANGE_RESPONSES,
    operation_class=user_docs.PROFILE_OPERATION,
)
async def put_profile(request: AnyRequest, ctx: AppContext) -> dict[str, Any]:
    data = await read_input(request)
    fields = require_text(data, ("name", "email"))
    user_id = current_user_id(request)

    def update() -> dict[str, Any]:
        with ctx.db.transaction() as session:
            user = accounts.get_user(session, user_id)
            accounts.update_profile(
                session,
                user,
                name=fields["name"] if "name" in data else None,
                email=fields["email"] if "email" in data else None,
            )
            return profile_data(session, user)

    result = await to_thread.run_sync(update)
    ctx.forget_user(user_id)
    return own_profile(result, ctx.settings.issuer)


@post(
    "/users",
    summary="Register a user",
    status_code=201,
    security=docs.READ_SECURITY,
    response_headers=[docs.user_location()],
    responses=user_docs.REGISTER_RESPONSES,
    operation_class=user_docs.REGISTER_OPERATION,
)
async def create_user(request: AnyRequest, ctx: AppContext) -> Response[dict[str, Any]]:
    data = await read_input(request)
    fields = require_text(data, ("name", "email", "password", "password_confirmation"))
    if (wait := await ctx.signups.admit(client_address(request.scope))) is not None:
        raise TooManyRequestsException(
            "Too many sign-ups from this address; try again later.",
            headers={"Retry-After": str(wait)},
        )

    def register() -> dict[str, Any]:
        with ctx.db.transaction() as session:
            user = accounts.register_user(
                session,
                ctx.passwords,
                name=fields["name"],
                email=fields["email"],
                password=fields["password"],
                password_confirmation=(
                    fields["password_confirmation"] if "password_confirmation" in data else None
                ),
            )
            recovery.send_verification(session, ctx.settings.issuer, user)
            return profile_data(session, user)

    result = await ctx.gate.hashing(register)
    body = own_profile(result, ctx.settings.issuer)
    location = f"{ctx.settings.issuer}/api/v2/users/{result['id']}"
    return Response(body, status_code=201, headers={"Location": location})


@get(
    "/users/{user_id:str}",
    sync_to_thread=True,
    summary="A user's public profile",
    security=docs.READ_SECURITY,
    responses=user_docs.USER_RESPONSES,
)
def get_user(user_id: UserId, ctx: AppContext) -> dict[str, Any]:
    with ctx.db.read() as session:
        user = accounts.get_user(session, user_id)
        return public_user({"id": user.id, "name": user.name}, ctx.settings.issuer)


ROUTES = [get_profile, put_profile, create_user, get_user]
