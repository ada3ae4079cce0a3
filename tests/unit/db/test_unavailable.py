"""Which database errors mean "the database is away" (503) and which are bugs (500)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import exc

from civicauth.db import database_unavailable


def wrapped(error_class: type[exc.DBAPIError], orig: Exception, **kwargs: bool) -> exc.DBAPIError:
    return error_class("SELECT 1", {}, orig, **kwargs)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(exc.OperationalError, psycopg.OperationalError("connection refused")),
        wrapped(exc.InterfaceError, psycopg.InterfaceError("the connection is closed")),
        wrapped(exc.DBAPIError, Exception("server closed"), connection_invalidated=True),
        wrapped(exc.OperationalError, sqlite3.OperationalError("database is locked")),
        exc.TimeoutError("QueuePool limit reached"),
    ],
)
def test_the_database_being_away_is_unavailable(error):
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(exc.OperationalError, sqlite3.OperationalError("no such table: users")),
        wrapped(exc.IntegrityError, psycopg.IntegrityError("duplicate key")),
        wrapped(exc.ProgrammingError, psycopg.ProgrammingError("syntax error")),
        ValueError("not a database error"),
    ],
)
def test_a_wrong_statement_is_not(error):
    assert not database_unavailable(error)
