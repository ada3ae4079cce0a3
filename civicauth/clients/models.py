from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from civicauth.db import Base, utcnow


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
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    grant_types: Mapped[str] = mapped_column(String(200))  # space-separated
    scopes: Mapped[str] = mapped_column(String(200), default="public write")
    # "pending" until an operator approves; a pending app runs its flows only
    # for its own developer.
    status: Mapped[str] = mapped_column(String(16), default="approved")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
