"""The console's decisions over HTTP: what each needs, what it refuses, and
what it leaves; the queue's order and filters."""

from __future__ import annotations

import re

from sqlalchemy import select

from civicauth.accounts.models import AuditEvent
from civicauth.clients.models import Client
from tests.functional.admin_support import act, operator_client
from tests.functional.oauth_support import APP_DETAILS, Resident, authorize_params, register_app
from tests.functional.pages import post_form, signed_in


def status_of(ctx, app) -> str:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return session.get(Client, app.pk).status


def test_a_rejection_needs_a_reason(server, ctx, make_user):
    app = register_app(ctx, status="pending")
    http, _ = operator_client(server, ctx, make_user)
    answer = act(http, app.client_id, "reject", reason="   ", action="reject")
    assert answer.status_code == 422
    assert "Reason can&#39;t be blank" in answer.text or "Reason can't be blank" in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert status_of(ctx, app) == "pending"
    too_long = act(http, app.client_id, "reject", reason="x" * 501, action="reject")
    assert too_long.status_code == 422
    assert status_of(ctx, app) == "pending"


def test_a_suspension_needs_a_reason(server, ctx, make_user):
    app = register_app(ctx)
    http, _ = operator_client(server, ctx, make_user)
    assert act(http, app.client_id, "suspend", reason="").status_code == 422
    assert status_of(ctx, app) == "approved"


def test_a_decision_that_does_not_apply_now_is_409_and_changes_nothing(server, ctx, make_user):
    approved = register_app(ctx)
    pending = register_app(ctx, status="pending")
    http, _ = operator_client(server, ctx, make_user)
    for app, action in (
        (approved, "approve"),
        (approved, "reinstate"),
        (approved, "reject"),
        (approved, "reject-change"),
        (pending, "suspend"),
        (pending, "reinstate"),
    ):
        before = status_of(ctx, app)
        answer = act(http, app.client_id, action, reason="because")
        assert answer.status_code in (404, 409), (action, answer.status_code)
        assert status_of(ctx, app) == before, action
    # No pending change to reject: there is no such change.
    assert act(http, approved.client_id, "reject-change").status_code == 404


def test_an_unknown_app_is_404_for_an_operator(server, ctx, make_user):
    http, _ = operator_client(server, ctx, make_user)
    assert http.get("/admin/apps/no-such-app").status_code == 404
    real = register_app(ctx, status="pending")
    token_page = http.get(f"/admin/apps/{real.client_id}").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', token_page)
    assert token
    answer = http.post("/admin/apps/no-such-app/approve", data={"_csrf_token": token.group(1)})
    assert answer.status_code == 404


def test_a_rejected_app_is_unusable_until_edited_and_approved(server, ctx, make_user):
    owner_id, email, password = make_user()
    app = register_app(ctx, server.url, status="pending", owner_id=owner_id)
    owner = Resident(server.url, email, password, owner_id).sign_in()
    assert owner.open(authorize_params(app)).status_code == 200  # its developer may, while pending

    http, operator_id = operator_client(server, ctx, make_user)
    assert act(http, app.client_id, "reject", reason="Spam").status_code == 303
    assert status_of(ctx, app) == "rejected"
    refused = owner.open(authorize_params(app))
    assert refused.status_code == 400
    assert "This application is not approved" in refused.text
    # Approving it again needs the developer's edit first.
    assert act(http, app.client_id, "approve").status_code == 409

    portal = signed_in(server, email, password)
    fields = {
        **APP_DETAILS,
        "name": "Less Spammy",
        "redirect_uris": app.redirect_uri,
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": ["public", "write"],
    }
    assert post_form(portal, f"/oauth/applications/{app.client_id}/edit", fields).status_code == 303
    assert status_of(ctx, app) == "pending"  # back in the queue
    assert f"/admin/apps/{app.client_id}" in http.get("/admin/apps").text
    assert act(http, app.client_id, "approve").status_code == 303
    assert status_of(ctx, app) == "approved"
    with ctx.db.read() as session:
        logged = session.scalars(
            select(AuditEvent.event).where(
                AuditEvent.client_id == app.client_id, AuditEvent.operator_id == operator_id
            )
        ).all()
    assert logged == ["app_rejected", "app_approved"]
    owner.close()


def test_the_queue_lists_pending_first_and_filters_all_apps(server, ctx, make_user):
    register_app(ctx, status="pending", name="Alpha Pending", organization="Org One")
    register_app(ctx, name="Beta Live", organization="Org Two", admin_contact_email="b@x.example")
    http, _ = operator_client(server, ctx, make_user)
    page = http.get("/admin/apps").text
    pending = page.split('data-testid="pending-apps"')[1].split("</table>")[0]
    assert "Alpha Pending" in pending
    assert "Beta Live" not in pending

    def listed(**params: str) -> str:
        html = http.get("/admin/apps", params=params).text
        return (
            html.split('data-testid="all-apps"')[1].split("</table>")[0]
            if "all-apps" in html
            else ""
        )

    assert "Beta Live" in listed(status="approved")
    assert "Alpha Pending" not in listed(status="approved")
    assert "Alpha Pending" in listed(organization="Org One")
    assert "Beta Live" not in listed(organization="Org One")
    assert "Beta Live" in listed(q="B@X.EXAMPLE")
    assert listed(q="%") == ""  # a wildcard is a character like any other
    assert http.get("/admin/apps", params={"status": "bogus"}).status_code == 200
    assert http.get("/admin/apps", params={"page": "0"}).status_code == 400
    assert http.get("/admin/apps", params={"page": "x"}).status_code == 400
