"""Mail: an outbox table filled inside the caller's transaction, and a
sender that delivers it in the background (SMTP, or ``.eml`` files under
``var/mail/`` when no SMTP server is configured)."""

from civicauth.mail.outbox import enqueue

__all__ = ["enqueue"]
