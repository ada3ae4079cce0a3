"""``civicauth apps create|show|approve|reject-change`` and ``civicauth
tokens purge`` as an operator runs them, and the demo app ``civicauth demo`` seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civicauth.cli import main
from civicauth.clients import review
from civicauth.clients.models import Client
from civicauth.clients.services import Registration, verify_secret
from civicauth.db import utcnow
from civicauth.tokens import secrets
from civicauth.tokens.codes import store_code
from civicauth.tokens.models import AuthorizationCode, OAuthToken
from civicauth.tokens.oauth_tokens import NewToken, new_grant_id, store_token
from tests.functional.oauth_support import APP_DETAILS, register_app
from tests.support import settings_env

APP = [
    "apps",
    "create",
    "--name",
    "Pothole Pal",
    "--organization",
    "Civic Apps Ltd",
    "--technical-contact-name",
    "Tess Tech",
    "--technical-contact-email",
    "tech@example.com",
    "--technical-contact-phone",
    "+1 203 555 0100",
    "--admin-contact-name",
    "Adam Admin",
    "--admin-contact-email",
    "admin@example.com",
    "--admin-contact-phone",
    "203-555-0101",
    "--redirect-uri",
    "https://app.example.com/callback",
]

NEW = "https://other.example/cb"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(backend, capsys):
    """Run ``civicauth ARGS`` in this process (a subprocess costs seconds)."""

    def run_command(*args: str) -> Result:
        with settings_env(backend.env):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse: --help, usage errors
                code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run_command


def one_line_error(result: Result) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr


def test_the_console_script_runs(backend):
    result = subprocess.run(
        [sys.executable, "-m", "civicauth", "apps", "--help"],
        env={**os.environ, **backend.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "approve" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["apps"],
        ["apps", "create"],
        ["apps", "show"],
        ["apps", "approve"],
        ["apps", "reject-change"],
        ["tokens"],
    ],
)
def test_every_command_has_help(run, args):
    result = run(*args, "--help")
    assert result.returncode == 0
    assert "usage: civicauth" in result.stdout


def test_apps_create_json_prints_the_secret_once_and_stores_its_digest(run, ctx):
    result = run(*APP, "--redirect-uri", "http://127.0.0.1/cb", "--scopes", "public", "--json")
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert secrets.kind_of(created["client_secret"]) is secrets.Kind.CLIENT_SECRET
    with ctx.db.read() as session:
        client = session.scalar(select(Client).where(Client.client_id == created["client_id"]))
        assert client is not None
        assert client.status == "approved"
        assert client.redirect_uris == ["https://app.example.com/callback", "http://127.0.0.1/cb"]
        assert client.scopes == "public"
        assert client.technical_contact_phone == "+1 203 555 0100"
        assert client.client_secret_digest != created["client_secret"]
        assert verify_secret(client, created["client_secret"])


def test_apps_create_text_output(run):
    result = run(*APP, "--grant-types", "authorization_code,implicit")
    assert result.returncode == 0, result.stderr
    assert "client_id:" in result.stdout
    assert "client_secret: cvs_" in result.stdout
    assert "shown only now" in result.stdout


def test_public_apps_have_no_secret(run):
    result = run(*APP, "--public", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["client_secret"] is None


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--redirect-uri", "http://evil.example/cb"], "redirect_uris"),
        (["--grant-types", "password"], "grant_types"),
        (["--public", "--grant-types", "client_credentials"], "grant_types"),
        (["--scopes", "admin"], "scopes"),
    ],
)
def test_apps_create_bad_input_is_one_line(run, extra, says):
    assert says in one_line_error(run(*APP, *extra))


@pytest.mark.parametrize("args", [APP, ["apps", "approve", "some-app"], ["tokens", "purge"]])
def test_a_bad_setting_is_one_line_naming_it(run, monkeypatch, args):
    monkeypatch.setenv("CIVICAUTH_ACCESS_TOKEN_TTL", "0")
    says = one_line_error(run(*args))
    assert says.startswith("civicauth: error: invalid setting CIVICAUTH_ACCESS_TOKEN_TTL:")
    assert run(*args).returncode == 2


def test_apps_create_missing_items_is_a_usage_error(run):
    result = run("apps", "create", "--name", "Only A Name")
    assert result.returncode == 2
    assert "required" in result.stderr


def test_apps_approve_prints_the_contacts(run, ctx):
    app = register_app(ctx, status="pending")
    result = run("apps", "approve", app.client_id)
    assert result.returncode == 0, result.stderr
    assert "Pothole Pal" in result.stdout
    assert "Tess Tech <tech@example.com>, +1 203 555 0100" in result.stdout
    assert "Adam Admin <admin@example.com>, +1 203 555 0101" in result.stdout
    with ctx.db.read() as session:
        assert session.get(Client, app.pk).status == "approved"
    assert "no-such-app" in one_line_error(run("apps", "approve", "no-such-app"))


def test_apps_show_names_the_change_waiting_for_review(run, ctx):
    app = register_app(ctx)
    plain = run("apps", "show", app.client_id)
    assert plain.returncode == 0, plain.stderr
    assert "status: approved, confidential" in plain.stdout
    assert "Tess Tech <tech@example.com>" in plain.stdout
    assert "change waiting" not in plain.stdout
    with ctx.db.transaction() as session:
        client = session.get(Client, app.pk)
        edit = Registration(**{**APP_DETAILS, "organization": "Other Org"}, redirect_uris=[NEW])
        review.propose_change(session, client, edit)
    shown = run("apps", "show", app.client_id)
    assert shown.returncode == 0, shown.stderr
    assert "change waiting for review, proposed " in shown.stdout
    assert "  organization: Civic Apps Ltd -> Other Org\n" in shown.stdout
    assert f"  redirect_uris: {app.redirect_uri} -> {NEW}\n" in shown.stdout
    assert "no-such-app" in one_line_error(run("apps", "show", "no-such-app"))
    assert "no-such-app" in one_line_error(run("apps", "reject-change", "no-such-app"))


def test_tokens_purge_removes_only_dead_tokens_and_codes(run, ctx, make_user):
    user_id, _, _ = make_user()
    app = register_app(ctx)
    past, now = utcnow() - timedelta(days=1), utcnow()

    def token(refresh: bool) -> OAuthToken:
        return store_token(
            session,
            NewToken(
                client_pk=app.pk,
                user_id=user_id,
                scope="public",
                access_token=ctx.tokens.mint(secrets.Kind.ACCESS),
                refresh_token=ctx.tokens.mint(secrets.Kind.REFRESH) if refresh else None,
                ttl=60,
                grant_id=new_grant_id(),
            ),
        )

    with ctx.db.transaction() as session:
        live, expired, revoked, refreshable = (token(False), token(False), token(True), token(True))
        expired.expires_at = refreshable.expires_at = past
        revoked.revoked_at = now
        kept_ids = {live.id, refreshable.id}
        for ttl in (60, -60):
            store_code(
                session,
                ctx.tokens.mint(secrets.Kind.CODE),
                client_pk=app.pk,
                user_id=user_id,
                redirect_uri="",
                scope="public",
                ttl=ttl,
            )
    result = run("tokens", "purge")
    assert result.returncode == 0, result.stderr
    assert "purged" in result.stdout
    with ctx.db.read() as session:
        left = set(session.scalars(select(OAuthToken.id).where(OAuthToken.client_pk == app.pk)))
        codes = session.scalar(
            select(func.count())
            .select_from(AuthorizationCode)
            .where(AuthorizationCode.client_pk == app.pk)
        )
    assert left == kept_ids  # a refresh token outlives its access token
    assert codes == 1


def test_demo_seeds_one_app_and_shows_its_secret_only_once(run, ctx):
    first = run("demo")
    assert first.returncode == 0, first.stderr
    assert "client_secret cvs_" in first.stdout
    assert "/oauth/authorize?response_type=code" in first.stdout
    assert "grant_type=authorization_code" in first.stdout
    again = run("demo")
    assert again.returncode == 0, again.stderr
    assert "cvs_" not in again.stdout
    with ctx.db.read() as session:
        demo_apps = session.scalar(
            select(func.count()).select_from(Client).where(Client.name == "civicauth demo app")
        )
    assert demo_apps == 1
