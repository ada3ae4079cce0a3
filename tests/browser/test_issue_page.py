"""The public page an issue's ``html_url`` points to."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from civicauth.issues.services import add_comment
from tests.browser.conftest import assert_accessible, screenshot
from tests.functional.issues_support import add_issue


def test_html_url_shows_the_issue_and_its_comments(page, server, ctx, make_user):
    reporter_id, _, _ = make_user(name="Rosa Reporter")
    issue_id = add_issue(
        ctx, reporter_id, summary="Broken streetlight", description="Dark since Monday."
    )
    with ctx.db.transaction() as session:
        add_comment(session, issue_id, reporter_id, "Still dark tonight.")
    html_url = httpx.get(f"{server.url}/api/v2/issues/{issue_id}").json()["html_url"]
    page.goto(html_url)
    expect(page.get_by_role("heading", name="Broken streetlight")).to_be_visible()
    expect(page.get_by_text("Dark since Monday.")).to_be_visible()
    expect(page.get_by_text("Still dark tonight.")).to_be_visible()
    expect(page.get_by_text("by Rosa Reporter")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "issue")


def test_unknown_issue_is_a_404_page(page):
    answer = page.goto("/issues/999999")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_text("There is no such issue.")).to_be_visible()
