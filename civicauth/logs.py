"""Logging that never carries a secret, and knows which request it is about.

Every line written while a request is handled carries that request's id and,
once known, the user's and the client's ids (``note_user``, ``note_client``):
a context variable holds the request's ``RequestLog``, and a filter copies it
onto each record. Worker threads that run sync handlers copy the context
(anyio does), so lines written there carry it too.

Two formats (``CIVICAUTH_LOG_FORMAT``): ``text`` (the default, for a
terminal) and ``json``, one object per line, for a log pipeline.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]

# RFC 6750 §2.3 and the SeeClickFix docs put tokens and client secrets in the
# query string; an access log keeps the path only.
ACCESS_LOGGERS = ("uvicorn.access",)
ACCESS_LOGGER = "civicauth.access"
TEXT_FORMAT = "[%(levelname)s] %(name)s: %(message)s"


@dataclass(slots=True)
class RequestLog:
    """What the log lines of one request say about it."""

    request_id: str
    user_id: int | None = None
    client_id: str | None = None


_current: ContextVar[RequestLog | None] = ContextVar("civicauth_request", default=None)


def begin_request(request_id: str) -> Any:
    """Make ``request_id`` this context's request; returns the token for ``end_request``."""
    return _current.set(RequestLog(request_id))


def end_request(token: Any) -> None:
    _current.reset(token)


def current_request() -> RequestLog | None:
    return _current.get()


def note_user(user_id: int | None) -> None:
    """The request acts for this user (signed in, or authenticated to the API)."""
    if (request := _current.get()) is not None and user_id is not None:
        request.user_id = user_id


def note_client(client_id: str | None) -> None:
    """The request is from (or, at the authorization endpoint, for) this
    registered client; only ids of clients that exist, never what a caller
    typed."""
    if (request := _current.get()) is not None and client_id is not None:
        request.client_id = client_id


class RequestFields(logging.Filter):
    """Puts the current request's ids on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current.get()
        if request is not None:
            record.request_id = request.request_id
            record.user_id = request.user_id
            record.client_id = request.client_id
        return True


# Attributes every LogRecord has; anything else was passed in ``extra``
# (but uvicorn's ``color_message``: the message again, with terminal colours).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
_REQUEST_KEYS = ("request_id", "user_id", "client_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the
    request's ids when there is a request, fields passed in ``extra``, and
    a traceback as one string (escaped newlines keep it on one line)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``[LEVEL] logger: message``, then the request's ids in brackets."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            return text
        ids = [f"request_id={request_id}"]
        ids += [f"{k}={getattr(record, k)}" for k in _REQUEST_KEYS[1:] if getattr(record, k, None)]
        first, newline, rest = text.partition("\n")
        return f"{first} [{' '.join(ids)}]{newline}{rest}"


def formatter(kind: LogFormat) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else TextFormatter()


def handler(kind: LogFormat) -> logging.Handler:
    """A handler on stderr in ``kind``, adding the request's ids."""
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(formatter(kind))
    out.addFilter(RequestFields())
    return out


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


def show_app_logs(level: str, kind: LogFormat = "text", access_log: bool = False) -> None:
    """civicauth's own lines (such as where each mail went) on stderr at
    ``level``, in ``kind``; with ``access_log``, one line per request from
    ``civicauth.access`` too. Every other library's warnings go the same way
    (Litestar is told not to set up logging of its own). Neither granian nor
    uvicorn configures loggers beyond its own; where someone else already
    has (a test runner, an embedding application), this leaves logging alone."""
    root = logging.getLogger()
    app = logging.getLogger("civicauth")
    if app.handlers or root.handlers:
        return
    root.addHandler(handler(kind))
    root.setLevel(logging.WARNING)
    app.setLevel(level.upper())
    access = logging.getLogger(ACCESS_LOGGER)
    access.setLevel(logging.INFO if access_log else logging.CRITICAL + 1)


def server_log_config(kind: LogFormat, loggers: tuple[str, ...]) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the HTTP server's own loggers
    (its start-up and worker lines) in ``kind``, so a JSON log has no line
    of another shape."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"civicauth": {"()": f"{__name__}.{formatter(kind).__class__.__name__}"}},
        "filters": {"request": {"()": f"{__name__}.RequestFields"}},
        "handlers": {
            "civicauth": {
                "class": "logging.StreamHandler",
                "formatter": "civicauth",
                "filters": ["request"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": ["civicauth"], "level": "INFO", "propagate": False}
            for name in loggers
        },
    }
