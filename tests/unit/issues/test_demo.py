from sqlalchemy import func, select

from civicauth.issues.demo import DEMO_ISSUES, seed_demo_issues
from civicauth.issues.models import Issue


def test_demo_issues_are_reported_once(ctx, make_user, capsys):
    user_id, email, _ = make_user()
    seed_demo_issues(ctx, email)
    seed_demo_issues(ctx, email)
    with ctx.db.read() as session:
        count = session.scalar(select(func.count()).where(Issue.reporter_id == user_id))
    assert count == len(DEMO_ISSUES)
    assert "/api/v2/issues?min_lat=" in capsys.readouterr().out


def test_no_demo_issues_without_the_demo_user(ctx, capsys):
    seed_demo_issues(ctx, "nobody@example.com")
    assert capsys.readouterr().out == ""
