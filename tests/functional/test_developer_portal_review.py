"""An edit of an approved app's name, organization, redirect URIs, grant types
or scopes waits for the operator while the approved version stays live;
contacts apply at once; an app never approved takes edits directly."""

from __future__ import annotations

import re
from html import unescape

import httpx

from civicauth.clients.services import find_client
from tests.functional.oauth_support import (
    APP_DETAILS,
    Resident,
    authorize_params,
    code_grant,
    register_app,
)
from tests.functional.pages import post_form, signed_in
from tests.support import LiveServer, run_civicauth

HERE = "/oauth/applications"
NEW_URI = "http://127.0.0.1:9/new-cb"


def edit_form(app, **changes: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The edit form as register_app's app fills it, with ``changes``."""
    return {
        **APP_DETAILS,
        "redirect_uris": app.redirect_uri,
        "grant_types": ["authorization_code", "refresh_token"],
        "scopes": ["public", "write"],
        **changes,
    }


def edit(page: httpx.Client, app, **changes: object) -> httpx.Response:  # type: ignore[no-untyped-def]
    answer = post_form(page, f"{HERE}/{app.client_id}/edit", edit_form(app, **changes))
    assert answer.status_code == 303, answer.text[:500]
    return page.get(f"{HERE}/{app.client_id}")


civicauth = run_civicauth


def pending_row(html: str, label: str) -> tuple[list[str], list[str]]:
    """The approved and proposed items of one row of the pending change."""
    section = re.search(r'data-testid="pending-change".*?</section>', html, re.S)
    assert section, "the page shows no pending change"
    row = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', section.group(0), re.S)
    assert row, f"the pending change has no row {label}"
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    items = [[unescape(i) for i in re.findall(r"<code>(.*?)</code>", cell)] for cell in cells]
    return items[0], items[1]


def authorize_status(resident: Resident, app, redirect_uri: str) -> int:  # type: ignore[no-untyped-def]
    params = {**authorize_params(app), "redirect_uri": redirect_uri}
    return resident.open(params).status_code


def stored(ctx, app):  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        client = find_client(session, app.client_id)
        assert client is not None
        return client


def developer_and_app(server: LiveServer, ctx, make_user, status: str = "approved"):  # type: ignore[no-untyped-def]
    owner_id, email, password = make_user()
    app = register_app(ctx, server.url, owner_id=owner_id, status=status)
    return signed_in(server, email, password), app


def test_new_redirect_uri_and_name_wait_for_apps_approve(server, backend, ctx, make_user, resident):
    page, app = developer_and_app(server, ctx, make_user)
    shown = edit(page, app, name="Totally Official City App", redirect_uris=NEW_URI)

    assert pending_row(shown.text, "Callback URLs") == ([app.redirect_uri], [NEW_URI])
    assert pending_row(shown.text, "Application name") == (
        ["Pothole Pal"],
        ["Totally Official City App"],
    )
    assert "Waits for an operator" in shown.text
    # The approved version stays live: its URI and name, its codes and tokens.
    consent = resident.open(authorize_params(app))
    assert consent.status_code == 200
    assert "Pothole Pal" in consent.text
    assert "Totally Official City App" not in consent.text
    assert authorize_status(resident, app, NEW_URI) == 400
    assert "access_token" in code_grant(server, resident, app)

    approved = civicauth(backend, "apps", "approve", app.client_id)
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.strip().count("\n") == 0, approved.stdout
    assert "approved the change of name, redirect_uris" in approved.stdout

    assert authorize_status(resident, app, app.redirect_uri) == 400
    # The resident consented already: straight back to the new URI with a code.
    back = resident.open({**authorize_params(app), "redirect_uri": NEW_URI})
    assert back.headers["location"].startswith(NEW_URI + "?code=")
    newcomer = Resident.new(server.url, make_user)
    consent = newcomer.open({**authorize_params(app), "redirect_uri": NEW_URI})
    assert consent.status_code == 200
    assert "Totally Official City App" in consent.text
    newcomer.close()
    after = page.get(f"{HERE}/{app.client_id}").text
    assert 'data-testid="pending-change"' not in after
    assert stored(ctx, app).pending_change is None
    page.close()


def test_scopes_and_grant_types_wait_too(server, ctx, make_user, resident):
    page, app = developer_and_app(server, ctx, make_user)
    shown = edit(page, app, scopes=["public"], grant_types=["authorization_code", "implicit"])
    assert pending_row(shown.text, "Scopes") == (["public", "write"], ["public"])
    assert pending_row(shown.text, "Grant types")[1] == ["authorization_code", "implicit"]
    client = stored(ctx, app)
    assert client.scopes == "public write"
    assert client.grant_types == "authorization_code refresh_token"
    # Implicit is not live: RFC 6749 §4.2.2.1 unauthorized_client, back to the app.
    answer = resident.open(authorize_params(app, response_type="token"))
    assert answer.status_code in (302, 303)
    assert "unauthorized_client" in answer.headers["location"]
    page.close()


def test_contacts_apply_at_once(server, ctx, make_user):
    page, app = developer_and_app(server, ctx, make_user)
    shown = edit(page, app, technical_contact_email="new-tech@example.com")
    assert "new-tech@example.com" in shown.text
    assert "Pothole Pal is updated." in shown.text
    assert 'data-testid="pending-change"' not in shown.text
    client = stored(ctx, app)
    assert client.technical_contact_email == "new-tech@example.com"
    assert client.pending_change is None
    page.close()


def test_contacts_apply_while_the_rest_waits(server, ctx, make_user):
    page, app = developer_and_app(server, ctx, make_user)
    edit(page, app, organization="Other Org", admin_contact_phone="+1 203 555 0199")
    client = stored(ctx, app)
    assert client.admin_contact_phone == "+1 203 555 0199"
    assert client.organization == "Civic Apps Ltd"
    assert client.pending_change == {"organization": "Other Org"}
    page.close()


def test_a_second_edit_replaces_the_change_and_the_live_values_clear_it(server, ctx, make_user):
    page, app = developer_and_app(server, ctx, make_user)
    edit(page, app, name="First Try")
    shown = edit(page, app, organization="Second Org")
    assert stored(ctx, app).pending_change == {"organization": "Second Org"}
    assert "First Try" not in shown.text
    # The edit form offers the proposed values, to revise them.
    form = page.get(f"{HERE}/{app.client_id}/edit").text
    assert 'value="Second Org"' in form
    assert 'id="review-notice"' in form  # the form says what waits
    shown = edit(page, app)  # everything as approved
    assert 'data-testid="pending-change"' not in shown.text
    client = stored(ctx, app)
    assert (client.pending_change, client.change_proposed_at) == (None, None)
    page.close()


def test_an_app_never_approved_takes_edits_directly(server, ctx, make_user):
    page, app = developer_and_app(server, ctx, make_user, status="pending")
    assert 'id="review-notice"' not in page.get(f"{HERE}/{app.client_id}/edit").text
    shown = edit(page, app, name="Renamed", redirect_uris=NEW_URI)
    assert 'data-testid="pending-change"' not in shown.text
    assert "Renamed is updated." in shown.text
    client = stored(ctx, app)
    assert (client.name, client.redirect_uris) == ("Renamed", [NEW_URI])
    assert client.pending_change is None
    page.close()


def test_reject_change_keeps_the_approved_version(server, backend, ctx, make_user, resident):
    page, app = developer_and_app(server, ctx, make_user)
    edit(page, app, redirect_uris=NEW_URI)
    rejected = civicauth(backend, "apps", "reject-change", app.client_id)
    assert rejected.returncode == 0, rejected.stderr
    assert rejected.stdout.strip().count("\n") == 0
    assert "rejected the change of redirect_uris" in rejected.stdout
    assert stored(ctx, app).pending_change is None
    assert 'data-testid="pending-change"' not in page.get(f"{HERE}/{app.client_id}").text
    assert authorize_status(resident, app, NEW_URI) == 400
    assert authorize_status(resident, app, app.redirect_uri) == 200

    again = civicauth(backend, "apps", "reject-change", app.client_id)
    assert again.returncode != 0
    assert again.stderr.strip() == (
        f"civicauth: error: application {app.client_id} has no pending change"
    )
    unknown = civicauth(backend, "apps", "reject-change", "no-such-app")
    assert unknown.returncode != 0
    assert "no-such-app" in unknown.stderr
    page.close()


def test_the_list_shows_a_change_waits(server, ctx, make_user):
    page, app = developer_and_app(server, ctx, make_user)
    edit(page, app, name="Renamed")
    listed = page.get(HERE).text
    assert "Change waiting for review" in listed
    assert "Pothole Pal" in listed  # the live name
    page.close()
