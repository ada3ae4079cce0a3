"""Votes, follows, comments and status changes on the database."""

import threading

import pytest
from sqlalchemy import func, select

from civicauth.errors import NotFound, PermissionDenied, ValidationFailed
from civicauth.issues import services
from civicauth.issues.models import Issue, Vote
from tests.functional.issues_support import add_issue


@pytest.fixture
def people(make_user):
    return make_user()[0], make_user()[0]


def issue(ctx, issue_id) -> Issue:
    with ctx.db.read() as session:
        return session.get(Issue, issue_id)


def run(ctx, action, *args):
    with ctx.db.transaction() as session:
        return action(session, *args)


def test_a_second_vote_counts_once(ctx, people):
    reporter, voter = people
    issue_id = add_issue(ctx, reporter)
    run(ctx, services.add_vote, issue_id, voter)
    run(ctx, services.add_vote, issue_id, voter)
    assert issue(ctx, issue_id).vote_count == 1


def test_simultaneous_votes_by_one_user_count_once(ctx, people):
    reporter, voter = people
    issue_id = add_issue(ctx, reporter)
    start = threading.Barrier(6)
    failures = []

    def vote():
        start.wait()
        try:
            run(ctx, services.add_vote, issue_id, voter)
        except Exception as exc:  # collected, so the test names it
            failures.append(exc)

    threads = [threading.Thread(target=vote) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert issue(ctx, issue_id).vote_count == 1
    with ctx.db.read() as session:
        votes = session.scalar(select(func.count()).where(Vote.issue_id == issue_id))
    assert votes == 1


def test_taking_back_a_vote_that_was_never_cast_is_refused(ctx, people):
    reporter, voter = people
    issue_id = add_issue(ctx, reporter)
    with pytest.raises(ValidationFailed) as caught:
        run(ctx, services.remove_vote, issue_id, voter)
    assert caught.value.errors == {"base": ["You have not voted on this issue."]}
    run(ctx, services.add_vote, issue_id, voter)
    run(ctx, services.remove_vote, issue_id, voter)
    assert issue(ctx, issue_id).vote_count == 0


def test_following_twice_and_unfollowing_twice_are_refused(ctx, people):
    reporter, follower = people
    issue_id = add_issue(ctx, reporter)
    run(ctx, services.follow, issue_id, follower)
    with pytest.raises(ValidationFailed):
        run(ctx, services.follow, issue_id, follower)
    run(ctx, services.unfollow, issue_id, follower)
    with pytest.raises(ValidationFailed):
        run(ctx, services.unfollow, issue_id, follower)


@pytest.mark.parametrize(
    "action", [services.add_vote, services.remove_vote, services.follow, services.unfollow]
)
def test_acting_on_a_missing_issue_is_not_found(ctx, people, action):
    with pytest.raises(NotFound):
        run(ctx, action, 2**40, people[0])


def test_a_comment_counts_and_updates_the_issue(ctx, people):
    reporter, commenter = people
    issue_id = add_issue(ctx, reporter)
    before = issue(ctx, issue_id).updated_at
    run(ctx, services.add_comment, issue_id, commenter, "Me too")
    after = issue(ctx, issue_id)
    assert after.comment_count == 1
    assert after.updated_at > before


def test_close_and_reopen_set_their_timestamps(ctx, people):
    reporter, _ = people
    issue_id = add_issue(ctx, reporter)
    run(ctx, services.change_status, issue_id, reporter, "closed", "Fixed")
    closed = issue(ctx, issue_id)
    assert closed.status == "closed"
    assert closed.closed_at is not None
    run(ctx, services.change_status, issue_id, reporter, "open", "Back again")
    reopened = issue(ctx, issue_id)
    assert (reopened.status, reopened.closed_at) == ("open", None)
    assert reopened.reopened_at is not None
    assert reopened.comment_count == 2


def test_only_the_reporter_changes_the_status(ctx, people):
    reporter, other = people
    issue_id = add_issue(ctx, reporter)
    with pytest.raises(PermissionDenied):
        run(ctx, services.change_status, issue_id, other, "closed", "Not mine")
    assert issue(ctx, issue_id).status == "open"


def test_an_archived_issue_keeps_its_status(ctx, people):
    reporter, _ = people
    issue_id = add_issue(ctx, reporter, status="archived")
    for status in ("closed", "open"):
        with pytest.raises(ValidationFailed) as caught:
            run(ctx, services.change_status, issue_id, reporter, status, "Try")
        assert caught.value.errors == {"status": [f"can't change from archived to {status}"]}
    assert issue(ctx, issue_id).comment_count == 0  # nothing half-written


def test_relationships(ctx, people):
    reporter, neighbor = people
    first, second = add_issue(ctx, reporter), add_issue(ctx, reporter)
    run(ctx, services.add_vote, first, neighbor)
    run(ctx, services.follow, second, neighbor)
    with ctx.db.read() as session:
        issues = [session.get(Issue, first), session.get(Issue, second)]
        theirs = services.relationships(session, neighbor, issues)
        mine = services.relationships(session, reporter, issues)
    assert theirs[first] == services.Relationship(voted=True, following=False, reporter=False)
    assert theirs[second] == services.Relationship(voted=False, following=True, reporter=False)
    assert mine[first].reporter is True
