"""The operator console's application queue in real Chromium, against a
server of two workers: an app registered on the developer portal is
approved by an operator and both contacts get the mail; a rejection carries
its reason; a suspended app's live token is refused on every worker and its
authorize request shows that it is suspended, until it is reinstated; a
change to an approved app's callback URLs waits while the old ones work."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import expect

from civicauth.clients.models import Client
from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.browser.test_second_factors import enrol_totp
from tests.cluster import settles_within
from tests.factor_support import code_after
from tests.functional.admin_support import make_operator, password_long_ago
from tests.functional.oauth_support import authorize_params, register_app
from tests.grants import issue_tokens
from tests.mail_support import Inbox, smtp_server
from tests.support import LiveServer, free_port, live_server

SMTP_PORT = free_port()
SETTINGS = {"CIVICAUTH_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}"}
PORTAL = "/oauth/applications"


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """Two workers, each with its own credential cache."""
    with live_server(backend.env, tmp_path_factory.mktemp("server"), workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server(SMTP_PORT) as received:
        yield received


@pytest.fixture
def operator_page(browser, server, ctx, make_user):  # type: ignore[no-untyped-def]
    """A second browser, signed in as an operator."""
    _, email, password = make_operator(ctx, make_user)
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    sign_in(tab, email, password)
    yield tab
    context.close()


def contacts() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"tech-{tag}@example.com", f"admin-{tag}@example.com"


def on_every_worker(check: Callable[[], bool]) -> None:
    """``check`` holds for ten requests in a row, which the two workers share
    (5 s of slack for a loaded machine; the one-second bound is the cache's)."""
    settles_within(check, 5.0)


def test_an_app_from_the_portal_is_approved_in_the_browser(
    page, operator_page, ctx, make_user, inbox
):
    tech, admin = contacts()
    _, email, password = make_user()
    sign_in(page, email, password, PORTAL + "/new")
    for label, value in {
        "Application name": "Street Sweeper",
        "Organization": "Clean Streets Co-op",
        "Technical contact name": "Tess Tech",
        "Technical contact email": tech,
        "Technical contact phone": "+1 203 555 0100",
        "Administrative contact name": "Adam Admin",
        "Administrative contact email": admin,
        "Administrative contact phone": "+1 203 555 0101",
    }.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Callback URLs").fill("https://sweeper.example/callback")
    page.get_by_role("button", name="Register application").click()
    expect(page.get_by_text("Pending review.")).to_be_visible()
    client_id = page.get_by_test_id("client-id").inner_text()
    # Residents see no console.
    expect(page.get_by_role("link", name="Operator")).to_have_count(0)

    operator = operator_page
    operator.get_by_role("link", name="Operator").click()
    expect(operator.get_by_role("heading", name="Operator console")).to_be_visible()
    assert_accessible(operator)
    operator.get_by_role("navigation", name="Operator console").get_by_role(
        "link", name="Applications"
    ).click()
    pending = operator.get_by_test_id("pending-apps")
    expect(pending.get_by_role("row", name="Street Sweeper")).to_contain_text(tech)
    assert_accessible(operator)
    screenshot(operator, "admin-queue")

    pending.get_by_role("link", name="Street Sweeper").click()
    expect(operator.get_by_role("heading", name="Street Sweeper")).to_be_visible()
    expect(operator.get_by_test_id("app-status")).to_have_text("Waiting for review")
    facts = operator.locator("dl.facts")
    for shown in ("Clean Streets Co-op", tech, admin, "https://sweeper.example/callback", email):
        expect(facts).to_contain_text(shown)
    expect(operator.get_by_test_id("live-grants")).to_have_text("0")
    assert_accessible(operator)
    screenshot(operator, "admin-app")

    operator.get_by_role("button", name="Approve", exact=True).click()
    expect(
        operator.get_by_text(
            f"Approved Street Sweeper (Clean Streets Co-op), client_id {client_id}."
        )
    ).to_be_visible()
    expect(operator.get_by_test_id("app-status")).to_have_text("Approved")
    assert_accessible(operator)
    for address in (tech, admin):
        mail = inbox.wait_for(address)[0]
        assert mail["Subject"] == "Street Sweeper is approved on civicauth"
        assert client_id in mail.get_content()
    page.goto(f"{PORTAL}/{client_id}")
    expect(page.get_by_text("Pending review.")).to_have_count(0)


def test_reject_with_a_reason(page, operator_page, server, ctx, make_user, inbox):
    tech, admin = contacts()
    owner_id, email, password = make_user()
    app = register_app(
        ctx,
        server.url,
        status="pending",
        owner_id=owner_id,
        name="Spam Bot",
        technical_contact_email=tech,
        admin_contact_email=admin,
    )
    operator = operator_page
    operator.goto(f"/admin/apps/{app.client_id}")
    operator.get_by_label("Why it is rejected").fill("It sends residents' reports elsewhere.")
    operator.get_by_role("button", name="Reject", exact=True).click()
    expect(operator.get_by_test_id("app-status")).to_have_text("Rejected")
    expect(operator.get_by_test_id("review-reason")).to_have_text(
        "It sends residents' reports elsewhere."
    )
    assert_accessible(operator)
    for address in (tech, admin):
        mail = inbox.wait_for(address)[0]
        assert mail["Subject"] == "Spam Bot was not approved on civicauth"
        assert "It sends residents' reports elsewhere." in mail.get_content()

    # Not even its developer can use it now.
    sign_in(page, email, password, "/")
    answer = page.goto("/oauth/authorize?" + str(httpx.QueryParams(authorize_params(app))))
    assert answer is not None
    assert answer.status == 400
    expect(page.get_by_role("heading", name="This application is not approved")).to_be_visible()


def test_suspend_refuses_live_tokens_on_every_worker_until_reinstated(
    page, operator_page, server, ctx, make_user, inbox
):
    tech, admin = contacts()
    user_id, email, password = make_user()
    app = register_app(
        ctx, server.url, name="Night Owl", technical_contact_email=tech, admin_contact_email=admin
    )
    access, _ = issue_tokens(ctx, user_id, app.pk)
    profile = server.url + "/api/v2/profile"
    headers = {"Authorization": f"Bearer {access}"}

    def status() -> int:
        return httpx.get(profile, headers=headers).status_code

    on_every_worker(lambda: status() == 200)  # cached on both workers now

    operator = operator_page
    operator.goto(f"/admin/apps/{app.client_id}")
    expect(operator.get_by_test_id("live-grants")).to_have_text("1")
    operator.get_by_label("Why it is suspended").fill("Flooding the API.")
    operator.get_by_role("button", name="Suspend").click()
    expect(operator.get_by_test_id("app-status")).to_have_text("Suspended")
    # The credential cache trusts an entry for one second: each worker reads
    # the app's status again within that.
    on_every_worker(lambda: status() == 401)
    refused = httpx.get(profile, headers=headers)
    assert refused.json()["error"] == "invalid_token"
    assert "suspended" in refused.json()["error_description"]
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    for address in (tech, admin):
        mail = inbox.wait_for(address)[0]
        assert mail["Subject"] == "Night Owl is suspended on civicauth"
        assert "Flooding the API." in mail.get_content()

    sign_in(page, email, password, "/")
    query = str(httpx.QueryParams(authorize_params(app)))
    page.goto(f"/oauth/authorize?{query}")
    expect(page.get_by_role("heading", name="This application is suspended")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Night Owl may not be used")
    assert_accessible(page)
    screenshot(page, "admin-suspended-authorize")

    operator.get_by_role("button", name="Reinstate").click()
    expect(operator.get_by_test_id("app-status")).to_have_text("Approved")
    on_every_worker(lambda: status() == 200)
    for address in (tech, admin):
        assert (
            inbox.wait_for(address, count=2)[1]["Subject"] == "Night Owl is reinstated on civicauth"
        )


def test_a_callback_change_waits_while_the_old_one_works(
    page, operator_page, server, ctx, make_user, inbox
):
    tech, admin = contacts()
    owner_id, email, password = make_user()
    app = register_app(
        ctx,
        server.url,
        owner_id=owner_id,
        name="Map Maker",
        technical_contact_email=tech,
        admin_contact_email=admin,
    )
    new_uri = "https://maps.example/callback"
    sign_in(page, email, password, f"{PORTAL}/{app.client_id}/edit")
    page.get_by_label("Callback URLs").fill(f"{app.redirect_uri}\n{new_uri}")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("pending-change")).to_be_visible()

    def consent_status(uri: str) -> int:
        params = {**authorize_params(app), "redirect_uri": uri}
        answer = page.goto("/oauth/authorize?" + str(httpx.QueryParams(params)))
        assert answer is not None
        return answer.status

    assert consent_status(app.redirect_uri) == 200  # the approved one works
    assert consent_status(new_uri) == 400  # the proposed one does not yet

    operator = operator_page
    operator.goto("/admin/apps")
    change = operator.get_by_test_id("waiting-change").filter(has_text="Map Maker")
    row = change.get_by_role("row", name="Callback URLs")
    expect(row.get_by_role("cell").nth(1)).to_contain_text(new_uri)
    expect(row.locator("ins")).to_have_text(new_uri)
    assert_accessible(operator)
    change.get_by_role("link", name="Map Maker").click()
    operator.get_by_role("button", name="Approve the change").click()
    expect(
        operator.get_by_text("Approved the change of redirect_uris of Map Maker")
    ).to_be_visible()
    expect(operator.get_by_test_id("pending-change")).to_have_count(0)
    with ctx.db.read() as session:
        assert session.get(Client, app.pk).redirect_uris == [app.redirect_uri, new_uri]
    assert consent_status(new_uri) == 200
    for address in (tech, admin):
        mail = inbox.wait_for(address)[0]
        assert mail["Subject"] == "The change to Map Maker is approved on civicauth"


def test_an_action_asks_again_for_the_password_and_the_factor(page, ctx, make_user):
    operator_id, email, password = make_operator(ctx, make_user)
    sign_in(page, email, password)
    secret, _ = enrol_totp(page, password)
    app = register_app(ctx, status="pending", name="Careful Steps")
    password_long_ago(ctx, operator_id)

    page.goto(f"/admin/apps/{app.client_id}")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm password").click()
    expect(page.get_by_role("heading", name="Careful Steps")).to_be_visible()
    expect(page.get_by_test_id("app-status")).to_have_text("Waiting for review")

    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("heading", name="Confirm your second factor")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-confirm-factor")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("That code or key did not work. Try again.")
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill(code_after(secret, 1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Second factor confirmed. You can go on.")).to_be_visible()
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("app-status")).to_have_text("Approved")
