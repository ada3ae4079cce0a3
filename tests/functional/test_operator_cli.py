"""``civicauth users create --operator``, ``users grant-operator`` and
``users revoke-operator``; ``apps approve`` and ``apps reject-change`` share
the console's decisions (mailed to both contacts, in the security log)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from civicauth.accounts.models import AuditEvent
from civicauth.accounts.services import find_by_email
from civicauth.cli import main
from civicauth.clients.models import Client
from civicauth.mail.models import MailMessage
from tests.functional.oauth_support import register_app
from tests.support import settings_env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(backend, capsys):  # type: ignore[no-untyped-def]
    def run_command(*args: str) -> Result:
        with settings_env(backend.env):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run_command


def one_line_error(result: Result) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr


def is_operator(ctx, email: str) -> bool:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        user = find_by_email(session, email)
        assert user is not None
        return user.is_operator


def events(ctx, event: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == event)))


def test_create_an_operator(run, ctx):
    created = run(
        "users", "create", "--email", "olive@example.com", "--name", "Olive",
        "--password", "a long enough password", "--operator",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert is_operator(ctx, "olive@example.com")
    plain = run(
        "users", "create", "--email", "rita@example.com", "--name", "Rita",
        "--password", "a long enough password",
    )  # fmt: skip
    assert plain.returncode == 0
    assert not is_operator(ctx, "rita@example.com")


def test_grant_and_revoke_the_role(run, ctx, make_user):
    user_id, email, _ = make_user()
    granted = run("users", "grant-operator", email.upper())
    assert granted.returncode == 0, granted.stderr
    assert f"{email.upper()} is now an operator" in granted.stdout
    assert is_operator(ctx, email)
    again = run("users", "grant-operator", email)
    assert again.returncode == 0
    assert "already" in again.stdout
    assert [e.user_id for e in events(ctx, "operator_granted")].count(user_id) == 1

    revoked = run("users", "revoke-operator", email)
    assert revoked.returncode == 0
    assert not is_operator(ctx, email)
    assert [e.user_id for e in events(ctx, "operator_revoked")].count(user_id) == 1


@pytest.mark.parametrize("command", ["grant-operator", "revoke-operator"])
def test_an_unknown_email_is_one_line_and_a_failure(run, command):
    result = run("users", command, "nobody@example.com")
    assert "no user with the email nobody@example.com" in one_line_error(result)


def mails_to(ctx, template: str) -> list[str]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        query = select(MailMessage.to_address).where(MailMessage.template == template)
        return sorted(session.scalars(query))


def test_apps_approve_mails_both_contacts_and_is_logged(run, ctx):
    app = register_app(ctx, status="pending", name="Approve Me")
    result = run("apps", "approve", app.client_id)
    assert result.returncode == 0, result.stderr
    assert "approved Approve Me" in result.stdout
    with ctx.db.read() as session:
        client = session.get(Client, app.pk)
        assert client.status == "approved"
        assert client.approved_at is not None
    assert mails_to(ctx, "app_approved").count("tech@example.com") >= 1
    assert mails_to(ctx, "app_approved").count("admin@example.com") >= 1
    logged = [e for e in events(ctx, "app_approved") if e.client_id == app.client_id]
    assert len(logged) == 1
    assert logged[0].operator_id is None

    # Approved already: nothing to approve, one line, non-zero.
    assert "nothing to approve" in one_line_error(run("apps", "approve", app.client_id))


def test_apps_reject_change_with_a_reason(run, ctx):
    from civicauth.clients.review import propose_change
    from civicauth.clients.services import Registration
    from tests.functional.oauth_support import APP_DETAILS

    app = register_app(ctx, name="Change Me")
    with ctx.db.transaction() as session:
        client = session.get(Client, app.pk)
        values = {**APP_DETAILS, "name": "Changed", "redirect_uris": client.redirect_uris}
        assert propose_change(session, client, Registration(**values)) == ["name"]
    before = len(mails_to(ctx, "app_change_rejected"))
    result = run("apps", "reject-change", app.client_id, "--reason", "Misleading name")
    assert result.returncode == 0, result.stderr
    assert "the approved version stays" in result.stdout
    assert len(mails_to(ctx, "app_change_rejected")) == before + 2
    with ctx.db.read() as session:
        assert session.get(Client, app.pk).name == "Change Me"
    logged = [e for e in events(ctx, "app_change_rejected") if e.client_id == app.client_id]
    assert logged[0].detail == "name: Misleading name"


def test_apps_reject_suspend_and_reinstate(run, ctx):
    pending = register_app(ctx, status="pending", name="Queue Jumper")
    assert "required" in run("apps", "reject", pending.client_id).stderr  # no --reason
    rejected = run("apps", "reject", pending.client_id, "--reason", "Spam")
    assert rejected.returncode == 0, rejected.stderr
    assert "rejected Queue Jumper" in rejected.stdout
    blank = run("apps", "suspend", register_app(ctx).client_id, "--reason", " ")
    assert "reason can't be blank" in one_line_error(blank)

    live = register_app(ctx, name="Noisy")
    assert run("apps", "suspend", live.client_id, "--reason", "Flooding").returncode == 0
    with ctx.db.read() as session:
        assert session.get(Client, live.pk).status == "suspended"
    assert "only a suspended app" in one_line_error(run("apps", "reinstate", pending.client_id))
    assert run("apps", "reinstate", live.client_id).returncode == 0
    with ctx.db.read() as session:
        assert session.get(Client, live.pk).status == "approved"
        assert session.get(Client, pending.pk).status == "rejected"
    assert mails_to(ctx, "app_suspended").count("tech@example.com") >= 1
