"""Rate limits on the mails that carry a link (password reset, email
confirmation): each one lands in someone's mailbox, so neither one address
nor one requester may send them in bulk."""

from __future__ import annotations

from limits import parse

from civicauth.auth.throttle import LimitStore, NamedLimits
from civicauth.metrics import count_throttled


class LinkMailLimits(NamedLimits):
    """Reset requests per email address (whether or not an account has it,
    so the limit tells nothing) and per client address; confirmation mails
    per account."""

    def __init__(
        self, storage: LimitStore, *, reset_per_email: str, reset_per_address: str, per_account: str
    ) -> None:
        super().__init__(storage, "link-mail")
        self._reset_email = parse(reset_per_email)
        self._reset_address = parse(reset_per_address)
        self._account = parse(per_account)

    async def admit_reset(self, email: str, address: str) -> int | None:
        """Count one reset request; None if allowed, else seconds to wait.
        A refused request counts nothing (but in the metrics)."""
        wait = await self.wait(self._reset_address, "addr:" + address)
        if wait is None:
            wait = await self.take(self._reset_email, "email:" + email)
        if wait is not None:
            count_throttled("password_reset")
            return wait
        await self.count(self._reset_address, "addr:" + address)
        return None

    async def admit_confirmation(self, user_id: int) -> int | None:
        """Count one confirmation mail of the account; None if allowed, else
        seconds to wait."""
        wait = await self.take(self._account, f"account:{user_id}")
        if wait is not None:
            count_throttled("email_link")
        return wait

    async def confirmation_wait(self, user_id: int) -> int | None:
        """Seconds until the account may send another confirmation mail, or
        None; counts nothing (an email change counts only once its password
        was right: ``count_confirmation``)."""
        wait = await self.wait(self._account, f"account:{user_id}")
        if wait is not None:
            count_throttled("email_link")
        return wait

    async def count_confirmation(self, user_id: int) -> None:
        await self.count(self._account, f"account:{user_id}")
