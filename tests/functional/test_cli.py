"""The ``civicauth`` command as an operator runs it."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support import run_civicauth


def run(backend, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_civicauth(backend, *args, **(env or {}))


@pytest.mark.parametrize(
    "args",
    [[], ["serve"], ["db"], ["db", "upgrade"], ["users"], ["users", "create"], ["demo"]],
)
def test_every_command_has_help(backend, args):
    result = run(backend, *args, "--help")
    assert result.returncode == 0
    assert "usage: civicauth" in result.stdout


def test_db_upgrade_is_idempotent(backend):
    assert run(backend, "db", "upgrade").returncode == 0
    assert run(backend, "db", "upgrade").returncode == 0


def test_users_create_then_duplicate_is_one_line_error(backend):
    args = [
        "users",
        "create",
        "--email",
        "cli@example.com",
        "--name",
        "Cli User",
        "--password",
        "long enough",
    ]
    created = run(backend, *args, "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["email"] == "cli@example.com"
    again = run(backend, *args)
    assert again.returncode != 0
    assert again.stderr.strip().count("\n") == 0
    assert "has already been taken" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "users",
                "create",
                "--email",
                "bad",
                "--name",
                "Okay Name",
                "--password",
                "long enough",
            ],
            "email",
        ),
        (
            [
                "users",
                "create",
                "--email",
                "a@example.com",
                "--name",
                "Okay Name",
                "--password",
                "short",
            ],
            "password",
        ),
        (["users", "create", "--email", "a@example.com"], "required"),
        (["serve", "--workers", "0"], "workers"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_clear_line_and_nonzero(backend, args, message):
    result = run(backend, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT", "lots"),
        ("CIVICAUTH_FAILED_AUTH_LIMIT_ACCOUNT_ADDRESS", "ten a minute"),
        ("CIVICAUTH_SIGNUP_LIMIT_ADDRESS", "twenty an hour"),
        ("CIVICAUTH_FORWARDED_ALLOW_IPS", "127.0.0.1, proxy.internal"),
    ],
)
def test_bad_setting_is_one_clear_line(backend, name, value):
    result = run(backend, "db", "upgrade", env={name: value})
    assert result.returncode != 0
    assert name in result.stderr
    assert result.stderr.startswith("civicauth: error: invalid setting ")
    assert "Traceback" not in result.stderr


def test_demo_seeds_the_user_of_the_readme(backend):
    first = run(backend, "demo")
    assert first.returncode == 0, first.stderr
    assert 'curl -u "email@example.com:password"' in first.stdout
    assert run(backend, "demo").returncode == 0
