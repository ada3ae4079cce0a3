"""What every request handler may need, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field

from civicauth.accounts.passwords import Passwords
from civicauth.auth.gate import PasswordGate
from civicauth.auth.link_limits import LinkMailLimits
from civicauth.auth.resolver import Resolver
from civicauth.auth.revocations import RevocationBus
from civicauth.auth.throttle import CreationLimits, SignupThrottle
from civicauth.db import Database
from civicauth.settings import Settings
from civicauth.tokens.secrets import TokenKeys
from civicauth.usage.counter import UsageCounter


@dataclass
class AppContext:
    settings: Settings
    db: Database
    passwords: Passwords
    # Every password check and every new hash goes through the gate.
    gate: PasswordGate
    signups: SignupThrottle
    resolver: Resolver
    creation_limits: CreationLimits
    # Mails carrying a reset or confirmation link.
    link_mails: LinkMailLimits
    # Mints tokens and tells ours from made-up ones (also in every Session.info).
    tokens: TokenKeys
    # Tells every process of a revocation (Redis pub/sub; auth/revocations.py).
    revocations: RevocationBus
    # This process's API request counts, flushed to the table by create_app's
    # UsageFlusher (civicauth/usage).
    usage: UsageCounter = field(default_factory=UsageCounter)

    def forget_user(self, user_id: int) -> None:
        """End every cached credential of a user: in this process at once,
        in the others as soon as Redis delivers the news (milliseconds), and
        within the cache's freshness (one second) in any case."""
        self.revocations.user_revoked(user_id)

    def forget_client(self, client_id: str) -> None:
        """The same for every token of an application (suspending an app)."""
        self.revocations.client_revoked(client_id)
