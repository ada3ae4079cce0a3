"""Rules for user input, shared by the API and the sign-up page."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

NAME_MIN, NAME_MAX = 3, 40
PASSWORD_MIN, PASSWORD_MAX = 8, 1024


def normalize_email(email: str) -> str:
    """The form in which emails are compared: unique regardless of case."""
    return email.strip().lower()


def email_errors(email: str) -> list[str]:
    if not email.strip():
        return ["can't be blank"]
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        return ["is not a valid email address"]
    if len(email.strip()) > 254:
        return ["is too long (maximum is 254 characters)"]
    return []


def name_errors(name: str) -> list[str]:
    length = len(name.strip())
    if length == 0:
        return ["can't be blank"]
    if length < NAME_MIN:
        return [f"is too short (minimum is {NAME_MIN} characters)"]
    if length > NAME_MAX:
        return [f"is too long (maximum is {NAME_MAX} characters)"]
    return []


def password_errors(password: str, confirmation: str | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(password) < PASSWORD_MIN:
        errors["password"] = [f"is too short (minimum is {PASSWORD_MIN} characters)"]
    elif len(password) > PASSWORD_MAX:
        errors["password"] = [f"is too long (maximum is {PASSWORD_MAX} characters)"]
    if confirmation is not None and confirmation != password:
        errors["password_confirmation"] = ["doesn't match password"]
    return errors
