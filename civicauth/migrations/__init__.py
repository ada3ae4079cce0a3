"""Alembic migrations; they sit below the domain and import only ``civicauth.db``."""
