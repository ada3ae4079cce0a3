"""Logging that never carries a secret."""

from __future__ import annotations

import logging

# RFC 6750 §2.3 and the SeeClickFix docs put tokens and client secrets in the
# query string; an access log keeps the path only.
ACCESS_LOGGERS = ("uvicorn.access",)


class QuerylessAccessLog(logging.Filter):
    """Drops the query string from uvicorn's access-log lines (granian's
    default format has none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            path = record.args[2]
            if isinstance(path, str) and "?" in path:
                args = list(record.args)
                args[2] = path.split("?", 1)[0]
                record.args = tuple(args)
        return True


def keep_secrets_out_of_access_logs() -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuerylessAccessLog) for f in logger.filters):
            logger.addFilter(QuerylessAccessLog())


def show_app_logs(level: str) -> None:
    """civicauth's own lines (such as where each mail went) on stderr at
    ``level``. Neither granian nor uvicorn configures loggers beyond its
    own; where someone else already has (a test runner, an embedding
    application), this leaves logging alone."""
    logger = logging.getLogger("civicauth")
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    # Litestar configures the root logger at start-up; without this each of
    # our lines would be printed again through it.
    logger.propagate = False
