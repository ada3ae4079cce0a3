"""A rotation of the secret key with CIVICAUTH_SECRET_KEY_PREVIOUS set to
the old one: mail queued under the old key is still sent, and authenticator
apps sealed under it still sign their residents in (tokens: test_token_macs.py)."""

from __future__ import annotations

import uuid
from contextlib import closing

import pyotp

from civicauth.accounts.factors import services as factors
from civicauth.accounts.factors.totp import sealing_key
from civicauth.accounts.services import get_user
from civicauth.mail.models import MailMessage
from civicauth.mail.seal import MailSeal
from tests.factor_support import code_after, factor_step, password_step
from tests.mail_support import smtp_server
from tests.support import free_port, live_server
from tests.support import run_civicauth as civicauth

LINK = "http://127.0.0.1:8000/password/reset?token=cvl_sealed-before-the-rotation"


def rotated_env(backend) -> dict[str, str]:
    return {
        "CIVICAUTH_SECRET_KEY": "rotated-" + uuid.uuid4().hex,
        "CIVICAUTH_SECRET_KEY_PREVIOUS": backend.env["CIVICAUTH_SECRET_KEY"],
    }


def test_mail_queued_under_the_previous_key_is_sent_after_a_rotation(backend, ctx):
    to = f"rotation-{uuid.uuid4().hex[:8]}@example.com"
    sealed = MailSeal(ctx.settings.resolved_secret_key()).seal(
        {"name": "Queued Quinn", "link": LINK}, to=to, template="password_reset"
    )
    with ctx.db.transaction() as session:
        message = MailMessage(to_address=to, template="password_reset", context=sealed)
        session.add(message)
        session.flush()
        message_id = message.id
    port = free_port()
    with smtp_server(port) as inbox:
        sent = civicauth(
            backend,
            "mail",
            "send-pending",
            "--now",
            CIVICAUTH_SMTP_URL=f"smtp://127.0.0.1:{port}",
            **rotated_env(backend),
        )
        assert sent.returncode == 0, sent.stderr
        (mail,) = inbox.wait_for(to)
    assert LINK in mail.get_content()
    with ctx.db.read() as session:
        assert session.get_one(MailMessage, message_id).state == "sent"


def enrol(ctx, user_id: int) -> tuple[str, list[str]]:
    """An authenticator app under the module's (old) secret key: (secret, recovery codes)."""
    key = sealing_key(ctx.settings.resolved_secret_key())
    with ctx.db.transaction() as session:
        user = get_user(session, user_id)
        secret = factors.pending_totp_secret(session, key, user)
        codes = factors.confirm_totp(session, key, user, pyotp.TOTP(secret).now(), address="t")
    assert codes is not None
    return secret, codes


def test_an_authenticator_app_sealed_under_the_previous_key_still_signs_in(
    backend, ctx, make_user, tmp_path_factory
):
    user_id, email, password = make_user()
    secret, _ = enrol(ctx, user_id)
    env = {**backend.env, **rotated_env(backend)}
    with (
        live_server(env, tmp_path_factory.mktemp("rotated")) as running,
        closing(running.client()) as client,
    ):
        assert password_step(client, email, password).headers["location"] == (
            "/login/second-factor"
        )
        passed = factor_step(client, code_after(secret, 1))
        assert passed.status_code == 303, passed.text
        assert passed.headers["location"] == "/"


def test_without_the_previous_key_the_app_is_refused_and_a_recovery_code_still_works(
    backend, ctx, make_user, tmp_path_factory
):
    user_id, email, password = make_user()
    secret, recovery_codes = enrol(ctx, user_id)
    env = {**backend.env, **rotated_env(backend), "CIVICAUTH_SECRET_KEY_PREVIOUS": ""}
    with (
        live_server(env, tmp_path_factory.mktemp("rotated")) as running,
        closing(running.client()) as client,
    ):
        password_step(client, email, password)
        refused = factor_step(client, code_after(secret, 1))
        assert refused.status_code == 400, refused.text  # a wrong code, never a 500
        passed = factor_step(client, recovery_codes[0])
        assert passed.status_code == 303, passed.text
