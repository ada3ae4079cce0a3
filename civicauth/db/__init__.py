"""Engine, session factory and the declarative base."""

from civicauth.db.base import Base, utcnow
from civicauth.db.engine import Database, database_unavailable

__all__ = ["Base", "Database", "database_unavailable", "utcnow"]
