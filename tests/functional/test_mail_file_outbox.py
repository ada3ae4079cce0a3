"""With no SMTP server configured (``make run``), each mail is an ``.eml``
file under ``var/mail/`` and the server's log says where."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from tests.functional.pages import signed_in
from tests.mail_support import change_password, wait_until
from tests.support import live_server


def mails_to(outbox: Path, email: str) -> list[Path]:
    return [path for path in outbox.glob("*.eml") if email in path.read_text()]


def test_each_mail_is_a_file_whose_path_is_logged(backend, make_user, tmp_path):
    _, email, password = make_user()
    outbox = Path(backend.env["CIVICAUTH_VAR_DIR"]) / "mail"
    args = ("--no-access-log", "--log-level", "info")
    with live_server(backend.env, tmp_path, serve_args=args) as running:
        with closing(signed_in(running, email, password)) as client:
            assert change_password(client, password) == 303
        wait_until(lambda: bool(mails_to(outbox, email)))
        (path,) = mails_to(outbox, email)
        wait_until(lambda: f"sent to {path.resolve()}" in running.log.read_text())
    # Stopping the server stops the sender cleanly.
    assert running.process.returncode == 0
    log = running.log.read_text()
    assert "Traceback" not in log
    # Once: not again through the root logger that Litestar configures.
    assert log.count(f"sent to {path.resolve()}") == 1
    assert "Subject: Your civicauth password was changed" in path.read_text()
