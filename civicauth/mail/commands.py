"""``civicauth mail status`` and ``civicauth mail send-pending``. Registered
with the CLI through its ``COMMAND_HOOKS``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from civicauth.db import Database, utcnow
from civicauth.mail import outbox
from civicauth.mail.models import MailMessage
from civicauth.mail.seal import session_info
from civicauth.mail.sender import MailSender
from civicauth.settings import load_settings


def _when(message: MailMessage) -> str:
    if message.state != "pending":
        return message.state
    return f"next attempt {message.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"


def _line(message: MailMessage) -> str:
    """One failing message: never its context (sealed, and a link's secret)."""
    return (
        f"#{message.id} {message.template} to {message.to_address}: {_when(message)}, "
        f"attempt {message.attempts}, last error: {message.last_error}"
    )


def _as_json(message: MailMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "template": message.template,
        "to": message.to_address,
        "state": message.state,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at.isoformat(),
        "last_error": message.last_error,
    }


def cmd_status(args: argparse.Namespace) -> int:
    # No mail seal: status reads states and errors, and could not open a
    # context even by mistake.
    db = Database(load_settings().database_url)
    try:
        with db.read() as session:
            counts, failing = outbox.counts(session), outbox.troubled(session)
            if args.json:
                print(json.dumps({"counts": counts, "failing": [_as_json(m) for m in failing]}))
                return 0
            print(", ".join(f"{state} {count}" for state, count in counts.items()))
            for message in failing:
                print(_line(message))
    finally:
        db.dispose()
    return 0


def cmd_send_pending(args: argparse.Namespace) -> int:
    settings = load_settings()
    db = Database(settings.database_url, info=session_info(settings))
    try:
        if args.retry_failed:
            with db.transaction() as session:
                outbox.requeue_failed(session, utcnow())
        attempted = MailSender(db, settings).send_due(ignore_backoff=args.now)
        with db.read() as session:
            counts = outbox.counts(session)
    finally:
        db.dispose()
    summary = ", ".join(f"{state} {count}" for state, count in counts.items())
    print(f"attempted {attempted} message(s); now {summary}")
    return 0


def register(commands: Any) -> None:
    mail = commands.add_parser("mail", help="the mail outbox").add_subparsers(
        dest="mail_command", required=True, metavar="COMMAND"
    )
    status = mail.add_parser("status", help="messages by state, and the failing ones")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=cmd_status)
    send = mail.add_parser("send-pending", help="send the due messages now, in the foreground")
    send.add_argument("--now", action="store_true", help="also the ones waiting out a backoff")
    send.add_argument(
        "--retry-failed", action="store_true", help="first give failed messages new attempts"
    )
    send.set_defaults(func=cmd_send_pending)
