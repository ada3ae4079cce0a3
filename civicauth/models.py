"""Imports every model so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from civicauth.accounts.account_tokens import AccountToken
from civicauth.accounts.factors.models import RecoveryCode, TotpFactor, WebAuthnCredential
from civicauth.accounts.models import AuditEvent, User
from civicauth.accounts.web_sessions import KnownBrowser, WebSession
from civicauth.clients.models import Client
from civicauth.db.base import Base
from civicauth.issues.models import Comment, Follow, Issue, Vote
from civicauth.mail.models import MailMessage
from civicauth.signing_keys.models import SigningKey
from civicauth.tokens.models import (
    Authorization,
    AuthorizationCode,
    OAuthToken,
    PersonalAccessToken,
)
from civicauth.usage.models import ApiUsage

__all__ = [
    "AccountToken",
    "ApiUsage",
    "AuditEvent",
    "Authorization",
    "AuthorizationCode",
    "Base",
    "Client",
    "Comment",
    "Follow",
    "Issue",
    "KnownBrowser",
    "MailMessage",
    "OAuthToken",
    "PersonalAccessToken",
    "RecoveryCode",
    "SigningKey",
    "TotpFactor",
    "User",
    "Vote",
    "WebAuthnCredential",
    "WebSession",
]
