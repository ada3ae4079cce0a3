"""A queued message as an RFC 5322 mail, rendered from its template."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from civicauth.mail import templates
from civicauth.mail.models import MailMessage
from civicauth.settings import Settings


def compose(message: MailMessage, settings: Settings) -> EmailMessage:
    """Raises KeyError when the stored context no longer fits the template."""
    context = {
        **message.context,
        "service": settings.service_name,
        "to": message.to_address,
        "base_url": settings.issuer,
        "when": f"{message.created_at:%Y-%m-%d %H:%M} UTC",
    }
    rendered = templates.render(message.template, context)
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message.to_address
    mail["Subject"] = rendered.subject
    mail["Date"] = format_datetime(message.created_at)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or None
    mail["Message-ID"] = make_msgid(f"civicauth.{message.id}", domain=domain)
    # RFC 3834 §5: a notice, not a person; auto-responders should stay quiet.
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(rendered.text)
    return mail
