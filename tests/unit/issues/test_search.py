"""Text search on both databases, kept in step with the issues it indexes."""

import pytest
from sqlalchemy import delete, update

from civicauth.accounts.models import User
from civicauth.issues.listing import IssueQuery
from civicauth.issues.models import Issue
from civicauth.issues.queries import list_issues
from civicauth.issues.search import search_terms
from tests.functional.issues_support import add_issue


def found(ctx, text):
    with ctx.db.read() as session:
        _, rows = list_issues(session, IssueQuery(terms=search_terms(text)), 0, 100)
    return {row.issue.summary for row in rows}


@pytest.fixture
def reporter(make_user):
    return make_user()[0]


def test_terms_are_split_on_whitespace_without_repeats():
    assert search_terms("  big  pothole big\tcorner ") == ("big", "pothole", "corner")


def test_every_term_must_match_summary_or_description(ctx, reporter):
    add_issue(ctx, reporter, summary="Sinkhole xq1", description="near the xq1bakery")
    add_issue(ctx, reporter, summary="Sinkhole xq2", description="by the school")
    assert found(ctx, "sinkhole xq1bakery") == {"Sinkhole xq1"}
    assert found(ctx, "SINKHOLE XQ") == {"Sinkhole xq1", "Sinkhole xq2"}


def test_an_edited_summary_is_found_by_its_new_words_only(ctx, reporter):
    issue_id = add_issue(ctx, reporter, summary="Leaning zqpole")
    with ctx.db.transaction() as session:
        session.execute(update(Issue).where(Issue.id == issue_id).values(summary="Fixed zqlamp"))
    assert found(ctx, "zqpole") == set()
    assert found(ctx, "zqlamp") == {"Fixed zqlamp"}


def test_a_vote_count_change_leaves_the_text_findable(ctx, reporter):
    issue_id = add_issue(ctx, reporter, summary="Counted zqvote")
    with ctx.db.transaction() as session:
        session.execute(update(Issue).where(Issue.id == issue_id).values(vote_count=5))
    assert found(ctx, "zqvote") == {"Counted zqvote"}


def test_deleted_issues_leave_the_index(ctx, make_user):
    user_id = make_user()[0]
    issue_id = add_issue(ctx, user_id, summary="Doomed zqgone")
    add_issue(ctx, user_id, summary="Cascaded zqgone")
    with ctx.db.transaction() as session:
        session.execute(delete(Issue).where(Issue.id == issue_id))
    assert found(ctx, "zqgone") == {"Cascaded zqgone"}
    with ctx.db.transaction() as session:  # the reporter's account goes, and their issues
        session.execute(delete(User).where(User.id == user_id))
    assert found(ctx, "zqgone") == set()


def test_like_wildcards_and_quotes_are_literal(ctx, reporter):
    add_issue(ctx, reporter, summary='50%_off "sale" zqsign')
    add_issue(ctx, reporter, summary="500 off zqsign")
    assert found(ctx, "50%_off") == {'50%_off "sale" zqsign'}
    assert found(ctx, '"sale"') == {'50%_off "sale" zqsign'}
    assert found(ctx, "zqsign") == {'50%_off "sale" zqsign', "500 off zqsign"}
