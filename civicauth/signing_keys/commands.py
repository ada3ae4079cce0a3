"""``civicauth keys list|rotate|retire``: the keys that sign ID tokens.
Registered with the CLI through its ``COMMAND_HOOKS``.

A rotation is safe on a running server: the new key is published at once
and signs only after ``CIVICAUTH_SIGNING_KEY_PUBLISH_DELAY``, in every worker
at the same moment; the old key stays published until the ID tokens it
signed have expired, and may then be retired.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicauth.db import Database
from civicauth.errors import CivicAuthError
from civicauth.settings import load_settings
from civicauth.signing_keys import keyring
from civicauth.signing_keys.models import ALGORITHMS, RS256
from civicauth.signing_keys.services import KeyStatus, list_keys, retire, rotate


@contextmanager
def _transaction() -> Iterator[Session]:
    settings = load_settings()
    db = Database(settings.database_url, info=keyring.session_info(settings))
    try:
        with db.write_transaction() as session:
            yield session
    finally:
        db.dispose()


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _line(status: KeyStatus) -> str:
    key = status.key
    return (
        f"{key.kid}  {key.alg}  {status.state.value:<8}  published {_when(key.created_at)}  "
        f"signs from {_when(key.signs_from)}  published until {_when(status.published_until)}"
    )


def _json(status: KeyStatus) -> dict[str, Any]:
    key = status.key
    times = {
        "created_at": key.created_at,
        "signs_from": key.signs_from,
        "published_until": status.published_until,
        "retired_at": key.retired_at,
    }
    return {
        "kid": key.kid,
        "alg": key.alg,
        "state": status.state.value,
        **{name: None if t is None else t.isoformat() for name, t in times.items()},
    }


def cmd_list(args: argparse.Namespace) -> int:
    with _transaction() as session:
        keys = list_keys(session)
    if args.json:
        print(json.dumps([_json(status) for status in keys]))
    elif not keys:
        print("no signing keys yet: the first ID token or JWKS request makes them")
    for status in [] if args.json else keys:
        print(_line(status))
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    try:
        with _transaction() as session:
            new = rotate(session, args.alg)
    except IntegrityError:
        raise CivicAuthError(
            f"another {args.alg} rotation was saved at the same time; see civicauth keys list"
        ) from None
    if new.signs_from == new.created_at:
        when = f"signs now (no other {new.alg} key could sign)"
    else:
        when = f"signs from {_when(new.signs_from)} (CIVICAUTH_SIGNING_KEY_PUBLISH_DELAY)"
    print(f"new {new.alg} signing key {new.kid}: published now, {when}")
    return 0


def cmd_retire(args: argparse.Namespace) -> int:
    with _transaction() as session:
        retired = retire(session, args.kid, force=args.force)
    print(f"retired {retired.alg} signing key {retired.kid}: it is no longer published")
    return 0


def register(commands: Any) -> None:
    keys = commands.add_parser("keys", help="the keys that sign ID tokens").add_subparsers(
        dest="keys_command", required=True, metavar="COMMAND"
    )
    listing = keys.add_parser("list", help="every signing key, its state and its times")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_list)
    rotating = keys.add_parser(
        "rotate", help="make a new key: published now, signing after the publish delay"
    )
    rotating.add_argument("--alg", choices=ALGORITHMS, default=RS256)
    rotating.set_defaults(func=cmd_rotate)
    retiring = keys.add_parser("retire", help="stop publishing a key that no longer signs")
    retiring.add_argument("kid")
    retiring.add_argument(
        "--force", action="store_true", help="even if ID tokens it signed may still be valid"
    )
    retiring.set_defaults(func=cmd_retire)
