from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicauth.db import Base

# What ``client_id`` and ``user_id`` hold when a row counts no app (Basic,
# personal access tokens) or no single user (OAuth, counted per app). Not
# NULL: a unique key treats NULLs as distinct on both databases, so the
# flush's upsert (ON CONFLICT) would never find the row it adds to.
NO_CLIENT = ""
NO_USER = 0


class ApiUsage(Base):
    """API requests of one day, one method and one app (OAuth) or one user
    (Basic, personal tokens; Basic also by the caller's User-Agent product)."""

    __tablename__ = "api_usage"
    __table_args__ = (
        UniqueConstraint("day", "method", "client_id", "user_id", "agent", name="uq_api_usage_key"),
        Index("ix_api_usage_client_day", "client_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # UTC
    method: Mapped[str] = mapped_column(String(16))  # basic, oauth, personal
    client_id: Mapped[str] = mapped_column(String(64), default=NO_CLIENT)
    # No foreign key: the numbers of a deleted account stay in the totals.
    user_id: Mapped[int] = mapped_column(default=NO_USER)
    # The User-Agent's first product token (``curl/8.5.0``) of Basic callers:
    # which programs still send passwords. Empty for the other methods.
    agent: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(BigInteger)
