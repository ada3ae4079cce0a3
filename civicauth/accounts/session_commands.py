"""``civicauth sessions purge``: delete page sessions idle longer than
``CIVICAUTH_SESSION_IDLE_DAYS`` (they open nothing any more; this frees the
rows). Registered with the CLI through its ``COMMAND_HOOKS``; run it daily
from cron or a systemd timer, next to ``civicauth tokens purge``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from civicauth.accounts.web_sessions import purge_idle
from civicauth.db import Database
from civicauth.settings import load_settings


def cmd_purge(args: argparse.Namespace) -> int:
    settings = load_settings()
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            purged = purge_idle(session, timedelta(days=settings.session_idle_days))
    finally:
        db.dispose()
    print(f"purged {purged} idle session(s)")
    return 0


def register(commands: Any) -> None:
    sessions = commands.add_parser("sessions", help="the pages' sign-in sessions").add_subparsers(
        dest="sessions_command", required=True, metavar="COMMAND"
    )
    purge = sessions.add_parser("purge", help="delete sessions idle past their lifetime")
    purge.set_defaults(func=cmd_purge)
