"""The background sender: claims due messages, sends them, records the outcome.

``civicauth serve`` runs one per worker (``start`` / ``stop`` on the app's
startup and shutdown). It wakes when a transaction in this process queues
mail, and otherwise when the next retry falls due or every
``CIVICAUTH_MAIL_POLL_SECONDS`` (mail queued by other processes).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from email.message import EmailMessage

from civicauth.db import Database, database_unavailable, utcnow
from civicauth.mail import outbox
from civicauth.mail.compose import compose
from civicauth.mail.seal import SealBroken, seal_of
from civicauth.mail.transports import FileOutbox, SmtpTransport, transport_for
from civicauth.settings import Settings

log = logging.getLogger("civicauth.mail")

# No later attempt opens it: the message fails at once. With the old key back,
# ``civicauth mail send-pending --retry-failed`` sends it.
UNOPENED = (
    "sealed under another secret key (or altered since): it cannot be opened; "
    "with the old CIVICAUTH_SECRET_KEY back, send-pending --retry-failed sends it"
)


class MailSender:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        transport: SmtpTransport | FileOutbox | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.transport = transport or transport_for(settings)
        self.policy = outbox.RetryPolicy(
            settings.mail_max_attempts, settings.mail_retry_seconds, settings.mail_retry_max_seconds
        )
        # Longer than any one attempt can take (connect, TLS, AUTH, DATA).
        self.lease = timedelta(seconds=max(60.0, 6 * settings.smtp_timeout))
        self._stopping = threading.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waker: Callable[[], None] | None = None
        # Refuse now, not at the first message: the sender opens every seal.
        with db.read() as session:
            seal_of(session)

    def send_one(self, since: datetime, *, ignore_backoff: bool = False) -> bool:
        """Attempt the next due message not attempted since ``since``;
        False when there is none."""
        with self.db.transaction() as session:
            message = outbox.claim_next(
                session, utcnow(), self.lease, since=since, ignore_backoff=ignore_backoff
            )
            if message is None:
                return False
            mail_id, to, template = message.id, message.to_address, message.template
            mail: EmailMessage | None = None
            error, final = None, False
            try:
                opened = seal_of(session).open(message.context, to=to, template=template)
                mail = compose(message, opened, self.settings)
            except SealBroken:
                error, final = UNOPENED, True
            except KeyError as exc:
                error = f"template {template!r} lacks a value for {exc.args[0]}"
        if mail is not None:
            error = self._deliver(mail, mail_id, to, template)
        if error is not None:
            self._record_failure(mail_id, to, template, error, final=final)
        return True

    def _deliver(self, mail: EmailMessage, mail_id: int, to: str, template: str) -> str | None:
        """Send one claimed message; the error, or None once it is recorded as sent."""
        try:
            where = self.transport.send(mail, mail_id)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        with self.db.transaction() as session:
            outbox.record_sent(session, mail_id, utcnow())
        log.info("mail #%d (%s) to %s: sent to %s", mail_id, template, to, where)
        return None

    def _record_failure(
        self, mail_id: int, to: str, template: str, error: str, *, final: bool = False
    ) -> None:
        with self.db.transaction() as session:
            message = outbox.record_failure(
                session, mail_id, error, utcnow(), self.policy, final=final
            )
            attempts, state, retry_at = message.attempts, message.state, message.next_attempt_at
        of = f"attempt {attempts} of {self.policy.max_attempts}"
        if state == "failed":
            log.error(
                "mail #%d (%s) to %s failed (%s), no more attempts: %s",
                mail_id,
                template,
                to,
                of,
                error,
            )
        else:
            log.warning(
                "mail #%d (%s) to %s not sent (%s), next attempt at %s: %s",
                *(mail_id, template, to, of, f"{retry_at:%Y-%m-%d %H:%M:%S} UTC", error),
            )

    def send_due(self, *, ignore_backoff: bool = False) -> int:
        """Attempt every due message, one at a time; how many were attempted."""
        attempted, since = 0, utcnow()
        while not self._stopping.is_set() and self.send_one(since, ignore_backoff=ignore_backoff):
            attempted += 1
        return attempted

    def _round(self) -> float:
        """One pass; the seconds to wait before the next."""
        # Imported here, not above: the CLI imports this module, and
        # prometheus_client must not be imported before ``civicauth serve``
        # has chosen its metrics directory (civicauth/metrics_files.py).
        from civicauth.metrics import MAIL_QUEUE

        self.send_due()
        with self.db.read() as session:
            due = outbox.next_due(session)
            for state, count in outbox.waiting(session).items():
                MAIL_QUEUE.labels(state).set(count)
        poll = self.settings.mail_poll_seconds
        if due is None:
            return poll
        return min(poll, max(0.0, (due - utcnow()).total_seconds()))

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                delay = await asyncio.to_thread(self._round)
            except Exception as exc:
                # The database may be away for a moment; the outbox keeps the mail.
                if database_unavailable(exc):
                    log.warning("mail sender: database unreachable; trying again shortly")
                else:
                    log.exception("mail sender: a round failed; trying again shortly")
                delay = self.settings.mail_poll_seconds
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def _wake_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.call_soon_threadsafe(self._wake.set)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._stopping.clear()
        self._wake = asyncio.Event()
        self._waker = lambda: self._wake_soon(loop)
        outbox.add_waker(self._waker)
        log.info("mail: sending through %s", self.transport.address)
        self._task = asyncio.create_task(self._run(), name="civicauth mail sender")

    async def stop(self) -> None:
        """Finish the attempt in progress (it is never cut in half), then end."""
        self._stopping.set()
        self._wake.set()
        if self._waker is not None:
            outbox.remove_waker(self._waker)
        if self._task is not None:
            await self._task
            self._task = None
