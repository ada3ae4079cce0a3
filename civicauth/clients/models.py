from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicauth.db import Base, utcnow

# An application's review states; any other (rejected, suspended) is unusable.
PENDING, APPROVED = "pending", "approved"
# Approved once and approved again by reinstating it, without a new review.
SUSPENDED = "suspended"
# Refused by an operator; an edit by its developer sends it back to review.
REJECTED = "rejected"
STATUSES = (PENDING, APPROVED, REJECTED, SUSPENDED)


class Client(Base):
    """An application registered with the five items of the seed."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 hex digest of the secret; None for public clients.
    client_secret_digest: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    organization: Mapped[str] = mapped_column(String(100))
    technical_contact_name: Mapped[str] = mapped_column(String(100))
    technical_contact_email: Mapped[str] = mapped_column(String(254))
    technical_contact_phone: Mapped[str] = mapped_column(String(40))
    admin_contact_name: Mapped[str] = mapped_column(String(100))
    admin_contact_email: Mapped[str] = mapped_column(String(254))
    admin_contact_phone: Mapped[str] = mapped_column(String(40))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    # OpenID Connect RP-Initiated Logout 1.0 §3.1: where the app may send a
    # resident after signing out, matched exactly like redirect URIs.
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    # OpenID Connect Registration 1.0 §2: RS256 (the default) or ES256.
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(8), default="RS256")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    grant_types: Mapped[str] = mapped_column(String(200))  # space-separated
    scopes: Mapped[str] = mapped_column(String(200), default="public write")
    # "pending" until an operator approves; a pending app runs its flows only
    # for its own developer.
    status: Mapped[str] = mapped_column(String(16), default=APPROVED)
    # An edit of the reviewed fields (clients/review.py) of an app that was
    # approved: {field: value as stored above}, live only once an operator
    # approves it. None when nothing waits.
    pending_change: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    change_proposed_at: Mapped[datetime | None]
    # The operator's last decision: its reason (a rejection's or suspension's,
    # mailed to the contacts), when, and by whom (a plain id, like the
    # security log's); approved_at is when it was last approved.
    review_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None]
    approved_at: Mapped[datetime | None]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def usable_by(self, user_id: int | None) -> bool:
        return usable_by(self.status, self.owner_id, user_id)


def usable_by(status: str, owner_id: int | None, user_id: int | None) -> bool:
    """Whether an app in ``status``, owned by ``owner_id``, may run a flow
    for this user (None: for itself, as in client credentials): approved,
    for everyone; pending review, for its own developer only; in any other
    state, for nobody."""
    if status == APPROVED:
        return True
    return status == PENDING and user_id is not None and user_id == owner_id
