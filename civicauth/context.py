"""What every request handler may need, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field

from civicauth.accounts.passwords import Passwords
from civicauth.auth.gate import PasswordGate
from civicauth.auth.link_limits import LinkMailLimits
from civicauth.auth.resolver import Resolver
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
    # This process's API request counts, flushed to the table by create_app's
    # UsageFlusher (civicauth/usage).
    usage: UsageCounter = field(default_factory=UsageCounter)

    def forget_user(self, user_id: int) -> None:
        """End, in this process at once, every cached credential of a user
        (other workers follow within the cache's freshness, one second)."""
        self.resolver.cache.forget_user(user_id)
