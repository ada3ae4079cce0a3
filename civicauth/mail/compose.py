"""A queued message as an RFC 5322 mail, rendered from its template."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from civicauth.mail import templates
from civicauth.mail.models import MailMessage
from civicauth.settings import Settings

# The standard library folds a long Subject before its first word, which
# readers then show with a leading space; RFC 5322 §2.1.1 allows lines up
# to 998 characters, so headers are left whole.
POLICY = policy.SMTP.clone(max_line_length=998)


def compose(message: MailMessage, opened: dict[str, Any], settings: Settings) -> EmailMessage:
    """The mail, from the message and its ``opened`` (unsealed) context.
    Raises KeyError when that context no longer fits the template."""
    context = {
        **opened,
        "service": settings.service_name,
        "to": message.to_address,
        "base_url": settings.issuer,
        "when": f"{message.created_at:%Y-%m-%d %H:%M} UTC",
    }
    rendered = templates.render(message.template, context)
    mail = EmailMessage(policy=POLICY)
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
