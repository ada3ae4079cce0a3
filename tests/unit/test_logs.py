"""civicauth/logs.py: the request's ids on every line, in either format."""

from __future__ import annotations

import json
import logging

from civicauth.logs import (
    JsonFormatter,
    RequestFields,
    TextFormatter,
    begin_request,
    end_request,
    note_client,
    note_user,
)


def record(message: str = "hello %s", *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            import sys

            exc_info = sys.exc_info()
    made = logging.LogRecord(
        "civicauth.test", logging.WARNING, __file__, 1, message, args or ("x",), exc_info
    )
    RequestFields().filter(made)
    return made


def test_outside_a_request_a_line_has_no_ids():
    line = json.loads(JsonFormatter().format(record()))
    assert line["message"] == "hello x"
    assert "request_id" not in line
    assert TextFormatter().format(record()) == "[WARNING] civicauth.test: hello x"


def test_inside_a_request_every_line_carries_its_ids():
    token = begin_request("abc123")
    try:
        note_user(7)
        note_client("app-1")
        made = record()
    finally:
        end_request(token)
    line = json.loads(JsonFormatter().format(made))
    assert (line["request_id"], line["user_id"], line["client_id"]) == ("abc123", 7, "app-1")
    assert line["level"] == "warning"
    assert line["logger"] == "civicauth.test"
    text = TextFormatter().format(made)
    assert text == "[WARNING] civicauth.test: hello x [request_id=abc123 user_id=7 client_id=app-1]"


def test_a_traceback_stays_on_one_json_line():
    formatted = JsonFormatter().format(record(exc=True))
    assert "\n" not in formatted
    assert "ValueError: boom" in json.loads(formatted)["exception"]


def test_a_message_with_a_newline_cannot_make_a_second_json_line():
    formatted = JsonFormatter().format(record("a %s", 'b\n{"level": "forged"}'))
    assert len(formatted.splitlines()) == 1


def test_noting_ids_outside_a_request_does_nothing():
    note_user(1)
    note_client("x")
    assert "user_id" not in json.loads(JsonFormatter().format(record()))
