"""An application as the OAuth endpoints read it: one row tuple of the
columns they use, not an ORM object. Every token request looks its client
up once; loading the mapped ``Client`` (every column, identity map, JSON
decoding of fields nobody reads) cost more than the rest of the lookup."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from civicauth.clients import models
from civicauth.clients.models import Client


class ClientRecord(NamedTuple):
    id: int
    client_id: str
    client_secret_digest: str | None
    name: str
    organization: str
    redirect_uris: list[str]
    id_token_signed_response_alg: str | None
    is_public: bool
    grant_types: str  # space-separated
    scopes: str  # space-separated
    status: str
    owner_id: int | None

    def usable_by(self, user_id: int | None) -> bool:
        return models.usable_by(self.status, self.owner_id, user_id)


# Built once (a bound parameter), on the table rather than the mapped class:
# a Core statement skips the ORM's execution path. Columns in ClientRecord's order.
_TABLE = Client.__table__
_BY_CLIENT_ID = select(*(_TABLE.c[name] for name in ClientRecord._fields)).where(
    _TABLE.c.client_id == bindparam("client_id")
)
# Application ids are 32 characters; a longer one cannot exist.
MAX_CLIENT_ID = 64


def find_client_record(session: Session, client_id: str) -> ClientRecord | None:
    """The application with this id, or None."""
    if not client_id or len(client_id) > MAX_CLIENT_ID:
        return None
    row = session.execute(_BY_CLIENT_ID, {"client_id": client_id}).first()
    return ClientRecord._make(row) if row is not None else None
