"""``civicauth tokens purge`` and ``civicauth sessions purge``: the purge the
service runs in the background (background.py), run once now, for operators
(with ``CIVICAUTH_PURGE_INTERVAL=0``, from cron). Registered with the CLI
through its ``COMMAND_HOOKS``."""

from __future__ import annotations

import argparse
from typing import Any

import civicauth.models  # noqa: F401  (every table known, for foreign keys)
from civicauth.db import Database
from civicauth.settings import load_settings
from civicauth.upkeep.purge import Purged, purge


def _purge(only: tuple[str, ...] | None) -> Purged:
    settings = load_settings()
    db = Database(settings.database_url)
    try:
        return purge(db, settings, only)
    finally:
        db.dispose()


def cmd_tokens_purge(args: argparse.Namespace) -> int:
    purged = _purge(None)
    print(
        f"purged {purged.tokens} tokens ({purged['expired_refresh']} with an expired refresh "
        f"token) and {purged['codes']} authorization codes"
    )
    print(
        f"purged {purged['personal_tokens']} revoked personal access tokens, "
        f"{purged['links']} mailed links, {purged['sessions']} idle sessions, "
        f"{purged['sent_mail']} sent mails"
    )
    keep_days = load_settings().usage_keep_days
    print(f"purged {purged['usage']} API usage rows older than {keep_days} days")
    return 0


def cmd_sessions_purge(args: argparse.Namespace) -> int:
    purged = _purge(("sessions",))
    print(f"purged {purged['sessions']} idle session(s)")
    return 0


def register(commands: Any) -> None:
    """Add ``tokens purge`` and ``sessions purge`` to the ``civicauth`` command."""
    tokens = commands.add_parser("tokens", help="OAuth tokens").add_subparsers(
        dest="tokens_command", required=True, metavar="COMMAND"
    )
    purge_tokens = tokens.add_parser(
        "purge",
        help="delete what has expired or was revoked, now: tokens (expired refresh tokens "
        "too), codes, revoked personal access tokens, mailed links, idle sessions, old sent mail, "
        "API usage counts past CIVICAUTH_USAGE_KEEP_DAYS",
    )
    purge_tokens.set_defaults(func=cmd_tokens_purge)
    sessions = commands.add_parser("sessions", help="the pages' sign-in sessions").add_subparsers(
        dest="sessions_command", required=True, metavar="COMMAND"
    )
    purge_sessions = sessions.add_parser("purge", help="delete sessions idle past their lifetime")
    purge_sessions.set_defaults(func=cmd_sessions_purge)
