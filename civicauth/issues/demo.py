"""A few issues for the demo user, so that ``make run`` lists something."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from civicauth.accounts.services import find_by_email
from civicauth.issues.models import Issue
from civicauth.issues.services import report_issue
from civicauth.issues.validation import NewIssue

DEMO_ISSUES = (
    NewIssue("Pothole", "Deep one by the curb", 41.3083, -72.9279, "1 Church St, New Haven"),
    NewIssue("Graffiti", "On the library wall", 41.3067, -72.9286, "133 Elm St, New Haven"),
    NewIssue("Streetlight out", "", 41.3102, -72.9252, "Whitney Ave, New Haven"),
)


def seed_demo_issues(ctx: Any, reporter_email: str) -> None:
    """Report the demo issues once, as ``reporter_email``, and print how to list them."""
    with ctx.db.transaction() as session:
        reporter = find_by_email(session, reporter_email)
        if reporter is None:
            return
        if session.scalar(select(Issue.id).where(Issue.reporter_id == reporter.id)) is None:
            for new in DEMO_ISSUES:
                report_issue(session, reporter.id, new)
    box = "min_lat=41.30&min_lng=-72.94&max_lat=41.32&max_lng=-72.92"
    print(f'\ncivicauth demo issues:\n  curl "{ctx.settings.issuer}/api/v2/issues?{box}"')
