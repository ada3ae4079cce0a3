"""Account links: stored as digests, single use, bound to their purpose,
their lifetime, the account's security stamp and its email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from civicauth.accounts.account_tokens import (
    AccountToken,
    LinkInvalid,
    issue_link,
    live_link,
    pending_email_change,
    retire_links,
    use_link,
)
from civicauth.accounts.models import User, new_security_stamp
from civicauth.db import utcnow
from civicauth.tokens import secrets
from tests.token_support import forged


def issue(ctx, user_id, purpose="password_reset", email=None):
    with ctx.db.transaction() as session:
        return issue_link(session, session.get_one(User, user_id), purpose, email)


def use(ctx, token, purposes=("password_reset",)):
    with ctx.db.transaction() as session:
        row = use_link(session, token, purposes)
        return row.purpose, row.email


def test_a_link_is_stored_as_a_digest_and_lives_30_minutes(ctx, make_user):
    user_id, email, _ = make_user()
    token = issue(ctx, user_id)
    assert secrets.kind_of(token) is secrets.Kind.ACCOUNT_LINK
    with ctx.db.read() as session:
        row = live_link(session, token, ("password_reset",))
        assert row.token_digest == secrets.digest(token)
        assert row.email == email
        assert row.expires_at - row.created_at == timedelta(minutes=30)


def test_confirmation_links_live_24_hours(ctx, make_user):
    user_id, _, _ = make_user()
    token = issue(ctx, user_id, "verify_email")
    with ctx.db.read() as session:
        row = live_link(session, token, ("verify_email",))
        assert row.expires_at - row.created_at == timedelta(hours=24)


def test_a_link_works_once(ctx, make_user):
    user_id, email, _ = make_user()
    token = issue(ctx, user_id)
    assert use(ctx, token) == ("password_reset", email)
    with pytest.raises(LinkInvalid):
        use(ctx, token)


def test_a_link_works_only_for_its_purpose(ctx, make_user):
    user_id, _, _ = make_user()
    token = issue(ctx, user_id, "verify_email")
    with pytest.raises(LinkInvalid):
        use(ctx, token, ("password_reset",))
    assert use(ctx, token, ("verify_email",))[0] == "verify_email"


@pytest.mark.parametrize(
    "token",
    ["", "cvl_", forged(secrets.Kind.PERSONAL), forged(secrets.Kind.ACCOUNT_LINK)],
)
def test_unknown_and_malformed_tokens_are_refused(ctx, token):
    with pytest.raises(LinkInvalid), ctx.db.read() as session:
        live_link(session, token, ("password_reset", "verify_email", "change_email"))


def test_an_expired_link_is_refused(ctx, make_user):
    user_id, _, _ = make_user()
    token = issue(ctx, user_id)
    with ctx.db.transaction() as session:
        session.execute(
            update(AccountToken)
            .where(AccountToken.token_digest == secrets.digest(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(LinkInvalid):
        use(ctx, token)


def test_a_new_security_stamp_kills_reset_and_change_links(ctx, make_user):
    user_id, _, _ = make_user()
    reset = issue(ctx, user_id)
    change = issue(ctx, user_id, "change_email", "new@example.com")
    confirm = issue(ctx, user_id, "verify_email")
    with ctx.db.transaction() as session:
        session.get_one(User, user_id).security_stamp = new_security_stamp()
    with pytest.raises(LinkInvalid):
        use(ctx, reset)
    with pytest.raises(LinkInvalid):
        use(ctx, change, ("change_email",))
    assert use(ctx, confirm, ("verify_email",))[0] == "verify_email"


def test_a_confirmation_link_dies_with_the_address(ctx, make_user):
    user_id, _, _ = make_user()
    token = issue(ctx, user_id, "verify_email")
    with ctx.db.transaction() as session:
        session.get_one(User, user_id).email_canonical = "elsewhere@example.com"
    with pytest.raises(LinkInvalid):
        use(ctx, token, ("verify_email",))


def test_a_newer_link_retires_the_older_of_its_purpose(ctx, make_user):
    user_id, _, _ = make_user()
    first = issue(ctx, user_id)
    confirm = issue(ctx, user_id, "verify_email")
    second = issue(ctx, user_id)
    with pytest.raises(LinkInvalid):
        use(ctx, first)
    use(ctx, second)
    use(ctx, confirm, ("verify_email",))


def test_retiring_ends_every_link_and_the_pending_change(ctx, make_user):
    user_id, _, _ = make_user()
    issue(ctx, user_id, "change_email", "next@example.com")
    reset = issue(ctx, user_id)
    with ctx.db.read() as session:
        assert pending_email_change(session, user_id) == "next@example.com"
    with ctx.db.transaction() as session:
        retire_links(session, user_id)
    with ctx.db.read() as session:
        assert pending_email_change(session, user_id) is None
    with pytest.raises(LinkInvalid):
        use(ctx, reset)
