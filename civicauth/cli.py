"""The ``civicauth`` command: serve, db upgrade, users, apps, tokens purge, keys.

Every command exits 0 on success and, on bad input, prints one clear line on
stderr and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicauth.errors import CivicAuthError, NotFound, ValidationFailed
from civicauth.issues import demo as issues_demo
from civicauth.mail import commands as mail_commands
from civicauth.metrics_files import MULTIPROC_ENV, fresh_metrics_dir, remove_metrics_dir
from civicauth.oauth2 import commands as oauth2_commands
from civicauth.settings import Settings, load_settings
from civicauth.signing_keys import commands as key_commands
from civicauth.upkeep import commands as upkeep_commands

if TYPE_CHECKING:
    from civicauth.context import AppContext

DEMO_EMAIL = "email@example.com"
DEMO_PASSWORD = "password"


class UsageError(Exception):
    """Bad input to a command: one line on stderr, exit 2."""


def _context(settings: Settings) -> AppContext:
    from civicauth.app import build_context

    return build_context(settings)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from civicauth.db.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    print("database is up to date")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    from civicauth.db.backup import backup

    copied = backup(load_settings().database_url, args.path)
    print(f"backed up {copied.source} to {copied.target} ({copied.bytes} bytes, integrity ok)")
    return 0


APP_FACTORY = "civicauth.app:create_app"


def cmd_serve(args: argparse.Namespace) -> int:
    from civicauth.db.migrate import upgrade

    settings = load_settings()
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    # Before anything imports prometheus_client, which reads it once: every
    # worker writes its metrics here and a scrape adds them all up.
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before the metrics directory was set")
    metrics = fresh_metrics_dir(settings.var_dir.resolve())
    os.environ[MULTIPROC_ENV] = str(metrics)
    try:
        upgrade(settings.database_url)
        # Resolve the key once so every worker signs with the same one.
        os.environ["CIVICAUTH_SECRET_KEY"] = settings.resolved_secret_key()
        os.environ["CIVICAUTH_LOG_LEVEL"] = args.log_level
        if args.access_log is not None:
            os.environ["CIVICAUTH_ACCESS_LOG"] = "true" if args.access_log else "false"
        _start_metrics_listener(settings)
        server = args.server or settings.server
        if server == "granian":
            _serve_granian(args, settings)
        else:
            _serve_uvicorn(args, settings)
    finally:
        remove_metrics_dir(metrics)
    return 0


def _start_metrics_listener(settings: Settings) -> None:
    from civicauth.metrics_http import start_listener

    try:
        start_listener(settings)
    except OSError as exc:
        raise CivicAuthError(
            f"cannot listen on CIVICAUTH_METRICS_LISTEN={settings.metrics_listen}: {exc.strerror}"
        ) from None


def _serve_granian(args: argparse.Namespace, settings: Settings) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    from civicauth.logs import server_log_config

    # The access lines are civicauth's own (civicauth/telemetry.py): they
    # carry the request id, route, user and client, in either log format.
    json_logs = settings.log_format == "json"
    Granian(
        APP_FACTORY,
        factory=True,
        interface=Interfaces.ASGI,
        address=args.host,
        port=args.port,
        workers=args.workers,
        log_level=LogLevels(args.log_level),
        log_access=False,
        log_dictconfig=server_log_config("json", GRANIAN_LOGGERS) if json_logs else None,
        # A worker that dies (killed, out of memory) is started again; without
        # this granian stops serving altogether when one worker exits.
        respawn_failed_workers=True,
    ).serve()


def _serve_uvicorn(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from civicauth.logs import server_log_config

    json_logs = settings.log_format == "json"
    # Forwarded headers are handled by the app itself (create_app), for either server.
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        log_level=args.log_level,
        access_log=False,
        log_config=server_log_config("json", UVICORN_LOGGERS) if json_logs else LOGGING_CONFIG,
    )


GRANIAN_LOGGERS = ("_granian", "granian.access")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _format_errors(exc: ValidationFailed) -> str:
    return "; ".join(f"{field} {', '.join(messages)}" for field, messages in exc.errors.items())


def cmd_users_create(args: argparse.Namespace) -> int:
    from civicauth.accounts.operators import set_operator
    from civicauth.accounts.services import register_user

    ctx = _context(load_settings())
    with ctx.db.transaction() as session:
        user = register_user(
            session, ctx.passwords, name=args.name, email=args.email, password=args.password
        )
        if args.operator:
            set_operator(session, user, True)
        user_id = user.id
    print(
        json.dumps({"id": user_id, "email": args.email}) if args.json else f"created user {user_id}"
    )
    return 0


def cmd_users_set_operator(args: argparse.Namespace, *, value: bool) -> int:
    """Give or take the operator role (the console at /admin)."""
    from civicauth.accounts.operators import set_operator
    from civicauth.accounts.services import find_by_email

    ctx = _context(load_settings())
    with ctx.db.transaction() as session:
        user = find_by_email(session, args.email)
        if user is None:
            raise NotFound(f"no user with the email {args.email}")
        changed = set_operator(session, user, value)
    role = "an operator" if value else "not an operator"
    print(f"{args.email} is now {role}" if changed else f"{args.email} was {role} already")
    return 0


def cmd_users_reset_second_factors(args: argparse.Namespace) -> int:
    """For a resident who lost every second factor and recovery code (check
    who is asking first: this lets the password alone sign in again)."""
    from civicauth.accounts.factors.services import reset_factors
    from civicauth.accounts.services import find_by_email

    ctx = _context(load_settings())
    with ctx.db.transaction() as session:
        user = find_by_email(session, args.email)
        if user is None:
            raise NotFound(f"no user with the email {args.email}")
        removed = reset_factors(session, user)
    if removed == 0:
        print(f"{args.email} has no second factor; nothing changed")
    else:
        print(f"removed {removed} second factor(s) and the recovery codes of {args.email}; mailed")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Seed the demo user (if missing) and print how to call the API."""
    from civicauth.accounts.services import find_by_email, register_user

    settings = load_settings()
    ctx = _context(settings)
    with ctx.db.transaction() as session:
        if find_by_email(session, DEMO_EMAIL) is None:
            register_user(
                session,
                ctx.passwords,
                name="Demo Resident",
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
            )
    for hook in DEMO_HOOKS:
        hook(ctx)
    base = settings.issuer
    print(f"\ncivicauth demo user: {DEMO_EMAIL} / {DEMO_PASSWORD}")
    print(f'  curl -u "{DEMO_EMAIL}:{DEMO_PASSWORD}" {base}/api/v2/profile\n')
    return 0


# Later parts (the OAuth demo app) add their own seeding here.
DEMO_HOOKS: list[Callable[[Any], None]] = [
    oauth2_commands.seed_demo_app,
    partial(issues_demo.seed_demo_issues, reporter_email=DEMO_EMAIL),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="civicauth", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, then serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--server", choices=("granian", "uvicorn"), help="default: CIVICAUTH_SERVER")
    serve.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="one line per request (default: CIVICAUTH_ACCESS_LOG, on)",
    )
    serve.set_defaults(func=cmd_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True, metavar="COMMAND"
    )
    db.add_parser("upgrade", help="apply every migration").set_defaults(func=cmd_db_upgrade)
    backup = db.add_parser(
        "backup",
        help="copy the SQLite database to PATH while the server runs (PostgreSQL: pg_dump)",
    )
    backup.add_argument("path", type=Path, help="a new file")
    backup.set_defaults(func=cmd_db_backup)

    users = commands.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True, metavar="COMMAND"
    )
    create = users.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--json", action="store_true", help="print JSON")
    create.add_argument(
        "--operator", action="store_true", help="give the operator role (the console at /admin)"
    )
    create.set_defaults(func=cmd_users_create)
    for name, value, what in (
        ("grant-operator", True, "give a user the operator role (the console at /admin)"),
        ("revoke-operator", False, "take the operator role from a user"),
    ):
        role = users.add_parser(name, help=what)
        role.add_argument("email")
        role.set_defaults(func=partial(cmd_users_set_operator, value=value))
    reset = users.add_parser(
        "reset-second-factors",
        help="remove every second factor and recovery code of a resident who lost them all",
    )
    reset.add_argument("email")
    reset.set_defaults(func=cmd_users_reset_second_factors)

    demo = commands.add_parser("demo", help="seed the demo user and app, print how to use them")
    demo.set_defaults(func=cmd_demo)

    for register in COMMAND_HOOKS:
        register(commands)
    return parser


def announce_app_tokens(client_id: str) -> None:
    """Tell every serving process, over Redis, to drop what it cached of an
    app's tokens (without Redis they read them again within a second)."""
    from civicauth.auth.revocations import RevocationBus

    RevocationBus.of(load_settings()).client_revoked(client_id)


# Later parts (apps, tokens) register their subcommands here.
COMMAND_HOOKS: list[Callable[[Any], None]] = [
    partial(oauth2_commands.register, announce=announce_app_tokens),
    mail_commands.register,
    key_commands.register,
    upkeep_commands.register,
]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationFailed as exc:
        print(f"civicauth: error: {_format_errors(exc)}", file=sys.stderr)
    except (UsageError, CivicAuthError) as exc:
        print(f"civicauth: error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 2
