"""``civicauth apps create|show|approve|reject-change``, and the
demo application that ``civicauth demo`` seeds. Registered with the CLI
through its ``COMMAND_HOOKS`` and ``DEMO_HOOKS``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

import civicauth.models  # noqa: F401  (every table known, for foreign keys)
from civicauth.clients import decisions, review
from civicauth.clients import services as clients
from civicauth.clients.models import Client
from civicauth.clients.services import Registration
from civicauth.db import Database
from civicauth.mail.seal import session_info
from civicauth.oauth2.metadata import AUTHORIZE_PATH, DEMO_CALLBACK_PATH, TOKEN_PATH
from civicauth.settings import Settings, load_settings

DEMO_APP_NAME = "civicauth demo app"
DEMO_ORGANIZATION = "civicauth"


@contextmanager
def _transaction(settings: Settings | None = None) -> Iterator[Session]:
    """One transaction on the configured database, for one command (with the
    mail seal, so a command may queue mail, e.g. to an app's contacts)."""
    settings = settings or load_settings()
    db = Database(settings.database_url, info=session_info(settings))
    try:
        with db.transaction() as session:
            yield session
    finally:
        db.dispose()


def _grant_types(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _registration(args: argparse.Namespace) -> Registration:
    return Registration(
        name=args.name,
        organization=args.organization,
        technical_contact_name=args.technical_contact_name,
        technical_contact_email=args.technical_contact_email,
        technical_contact_phone=args.technical_contact_phone,
        admin_contact_name=args.admin_contact_name,
        admin_contact_email=args.admin_contact_email,
        admin_contact_phone=args.admin_contact_phone,
        redirect_uris=args.redirect_uri,
        is_public=args.public,
        grant_types=_grant_types(args.grant_types),
        scopes=args.scopes,
        post_logout_redirect_uris=args.post_logout_redirect_uri or [],
        id_token_signed_response_alg=args.id_token_alg,
    )


def cmd_apps_create(args: argparse.Namespace) -> int:
    with _transaction() as session:
        client, secret = clients.register_client(session, _registration(args))
        client_id = client.client_id
    if args.json:
        print(json.dumps({"client_id": client_id, "client_secret": secret}))
        return 0
    print(f"registered {args.name.strip()} (approved)")
    print(f"client_id:     {client_id}")
    if secret:
        print(f"client_secret: {secret}")
        print("The secret is shown only now: store it safely.")
    else:
        print("public application: no secret; it must use PKCE (S256)")
    return 0


def cmd_apps_approve(args: argparse.Namespace) -> int:
    """The console's approve (clients/decisions.py): the change waiting on
    the app if there is one, else the app; both contacts are mailed."""
    with _transaction() as session:
        client = clients.get_client(session, args.client_id)
        decision = decisions.approve(session, client, None)
        print(decision.summary)
        if decision.event == "app_approved":
            _print_contacts(client)
    return 0


def _print_contacts(client: Client) -> None:
    print(
        f"technical contact: {client.technical_contact_name} "
        f"<{client.technical_contact_email}>, {client.technical_contact_phone}"
    )
    print(
        f"administrative contact: {client.admin_contact_name} "
        f"<{client.admin_contact_email}>, {client.admin_contact_phone}"
    )


def cmd_apps_show(args: argparse.Namespace) -> int:
    with _transaction() as session:
        client = clients.get_client(session, args.client_id)
        kind = "public" if client.is_public else "confidential"
        print(f"{client.name} ({client.organization}), client_id {client.client_id}")
        print(f"status: {client.status}, {kind}")
        print(f"redirect_uris: {' '.join(client.redirect_uris)}")
        print(f"post_logout_redirect_uris: {' '.join(client.post_logout_redirect_uris)}")
        print(f"id_token_signed_response_alg: {client.id_token_signed_response_alg}")
        print(f"grant_types: {client.grant_types}")
        print(f"scopes: {client.scopes}")
        _print_contacts(client)
        if changes := review.pending_changes(client):
            proposed = client.change_proposed_at
            when = f", proposed {proposed:%Y-%m-%d %H:%M} UTC" if proposed else ""
            print(f"change waiting for review{when}:")
            for change in changes:
                print(f"  {change.field}: {' '.join(change.live)} -> {' '.join(change.proposed)}")
    return 0


def cmd_apps_reject_change(args: argparse.Namespace) -> int:
    with _transaction() as session:
        client = clients.get_client(session, args.client_id)
        print(decisions.reject_change(session, client, None, args.reason).summary)
    return 0


def cmd_apps_decide(
    args: argparse.Namespace, *, decision: str, announce: Callable[[str], None]
) -> int:
    """``apps reject|suspend|reinstate``: the console's decisions
    (clients/decisions.py), mailed to both contacts and logged. Once one
    that changes whether the app's tokens work is committed, ``announce``
    tells the serving processes (they forget what they cached of them)."""
    with _transaction() as session:
        client = clients.get_client(session, args.client_id)
        if decision == "reinstate":
            done = decisions.reinstate(session, client, None)
        else:
            decide = decisions.reject if decision == "reject" else decisions.suspend
            done = decide(session, client, None, args.reason)
        client_id = client.client_id
    if done.changes_tokens:
        announce(client_id)
    print(done.summary)
    return 0


def _add_apps_create(apps: Any) -> None:
    create = apps.add_parser("create", help="register an application (approved at once)")
    create.add_argument("--name", required=True, help="shown to users on the consent page")
    create.add_argument("--organization", required=True)
    for who, label in (("technical", "technical"), ("admin", "administrative")):
        create.add_argument(f"--{who}-contact-name", required=True, help=f"{label} contact")
        create.add_argument(f"--{who}-contact-email", required=True)
        create.add_argument(f"--{who}-contact-phone", required=True)
    create.add_argument(
        "--redirect-uri", action="append", required=True, help="callback URI; repeat for more"
    )
    create.add_argument(
        "--post-logout-redirect-uri",
        action="append",
        help="where the app may send a resident after signing out (OpenID Connect); repeatable",
    )
    create.add_argument(
        "--id-token-alg",
        choices=clients.ID_TOKEN_ALGORITHMS,
        default=clients.ID_TOKEN_ALGORITHMS[0],
        help="how its ID tokens are signed",
    )
    create.add_argument("--public", action="store_true", help="a client that holds no secret")
    create.add_argument(
        "--grant-types",
        default=",".join(clients.DEFAULT_GRANT_TYPES),
        help="comma-separated, from: " + ",".join(clients.GRANT_TYPES),
    )
    create.add_argument("--scopes", default="public write", help='e.g. "public write"')
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(func=cmd_apps_create)


def _announced_nowhere(client_id: str) -> None:
    """Without a serving process to tell, the caches' freshness suffices."""


def register(commands: Any, announce: Callable[[str], None] = _announced_nowhere) -> None:
    """Add ``apps`` to the ``civicauth`` command; ``announce(client_id)``
    tells every serving process that an app's tokens changed (the command
    line passes the revocation bus, which this layer may not import)."""
    apps = commands.add_parser("apps", help="registered applications").add_subparsers(
        dest="apps_command", required=True, metavar="COMMAND"
    )
    _add_apps_create(apps)
    approve = apps.add_parser(
        "approve",
        help="approve an application registered on the portal, or the change waiting on one",
    )
    approve.add_argument("client_id")
    approve.set_defaults(func=cmd_apps_approve)
    show = apps.add_parser("show", help="an application's details and any change waiting")
    show.add_argument("client_id")
    show.set_defaults(func=cmd_apps_show)
    reject_change = apps.add_parser(
        "reject-change", help="drop the change waiting for review on an approved application"
    )
    reject_change.add_argument("client_id")
    reject_change.add_argument("--reason", default="", help="mailed to the app's contacts")
    for name, what in (
        ("reject", "reject an application waiting for review (nobody can use it until edited)"),
        ("suspend", "suspend an approved application: its tokens and flows are refused"),
        ("reinstate", "make a suspended application approved again"),
    ):
        decide = apps.add_parser(name, help=what)
        decide.add_argument("client_id")
        if name != "reinstate":
            decide.add_argument("--reason", required=True, help="mailed to the app's contacts")
        decide.set_defaults(func=partial(cmd_apps_decide, decision=name, announce=announce))
    reject_change.set_defaults(func=cmd_apps_reject_change)


def _demo_registration(redirect_uri: str) -> Registration:
    return Registration(
        name=DEMO_APP_NAME,
        organization=DEMO_ORGANIZATION,
        technical_contact_name="Demo Developer",
        technical_contact_email="developer@example.com",
        technical_contact_phone="+1 203 555 0100",
        admin_contact_name="Demo Administrator",
        admin_contact_email="admin@example.com",
        admin_contact_phone="+1 203 555 0101",
        redirect_uris=[redirect_uri],
        grant_types=["authorization_code", "refresh_token", "implicit", "client_credentials"],
        # OpenID Connect too, so a relying party can sign in with the demo app.
        scopes="openid profile email public write",
    )


def seed_demo_app(ctx: Any) -> None:
    """Create the demo application once and print how to use it. Its secret
    exists in clear only when it is created, so it is printed only then."""
    issuer = ctx.settings.issuer
    redirect_uri = issuer + DEMO_CALLBACK_PATH
    with ctx.db.transaction() as session:
        client = session.scalar(
            select(Client).where(
                Client.name == DEMO_APP_NAME, Client.organization == DEMO_ORGANIZATION
            )
        )
        secret = None
        if client is None:
            client, secret = clients.register_client(session, _demo_registration(redirect_uri))
        client_id, redirect_uri = client.client_id, client.redirect_uris[0]
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "public write",
            "state": "demo",
        }
    )
    print(f"\ncivicauth demo app: client_id {client_id}")
    if secret:
        print(f"  client_secret {secret}  (shown only now)")
    else:
        print("  client_secret: shown when the app was first created")
    print(f"  1. open {issuer}{AUTHORIZE_PATH}?{query}")
    print("  2. approve, then exchange the code shown on the callback page:")
    print(
        f'     curl -u "{client_id}:{secret or "CLIENT_SECRET"}" -d grant_type=authorization_code '
        f"-d code=CODE -d redirect_uri={redirect_uri} {issuer}{TOKEN_PATH}"
    )
