"""The mails civicauth sends, in plain text.

``string.Template`` keeps this room free of a template engine; ``$name``
placeholders come from the caller's context, plus four every mail gets:
``$service`` (its name), ``$to`` (the address it went to), ``$base_url`` and
``$when`` (when the mail was queued, which is when the thing happened).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template


@dataclass(frozen=True)
class MailTemplate:
    subject: Template
    text: Template


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str


STANDARD_KEYS = ("service", "to", "base_url", "when")

FOOTER = """
--
This mail was sent by $service to $to.
$base_url
"""

TEMPLATES: dict[str, MailTemplate] = {
    "password_changed": MailTemplate(
        subject=Template("Your $service password was changed"),
        text=Template(
            """Hello $name,

the password of your $service account ($to) was changed on $when.
Every other browser signed in to the account was signed out, and the old
password no longer works for the API.

If you changed it, there is nothing more to do. If you did not, someone
else has your password: tell the people who run $service straight away.
"""
        ),
    ),
    "personal_token_created": MailTemplate(
        subject=Template("A personal access token was created for your $service account"),
        text=Template(
            """Hello $name,

a personal access token named "$token_name" ($token_prefix...) was created
for your $service account ($to) on $when.
Scopes: $scopes. Expires: $expires.

The token acts as you on the $service API. If you did not create it, revoke
it on $base_url/account/security and change your password.
"""
        ),
    ),
    "password_reset": MailTemplate(
        subject=Template("Reset your $service password"),
        text=Template(
            """Hello $name,

someone asked on $when to reset the password of your $service account
($to). To choose a new password, open this link within 30 minutes:

$link

The link works once. If you did not ask, ignore this mail: your password
stays as it is.
"""
        ),
    ),
    "password_reset_done": MailTemplate(
        subject=Template("Your $service password was reset"),
        text=Template(
            """Hello $name,

the password of your $service account ($to) was reset with a link mailed
to this address on $when. Every browser signed in to the account was signed
out, and the old password no longer works for the API.

If you did not do this, someone else can read your mail: secure your mailbox
and tell the people who run $service straight away.
"""
        ),
    ),
    "verify_email": MailTemplate(
        subject=Template("Confirm your email address for $service"),
        text=Template(
            """Hello $name,

please confirm that $to is the email address of your $service account.
Open this link within 24 hours and press the button on the page:

$link

If you did not create an account on $service, ignore this mail.
"""
        ),
    ),
    "email_change_confirm": MailTemplate(
        subject=Template("Confirm your new email address for $service"),
        text=Template(
            """Hello $name,

someone asked on $when to make $to the email address of a $service account.
To confirm, open this link within 24 hours and press the button on the page:

$link

Until then the account keeps its old address. If you did not ask, ignore
this mail.
"""
        ),
    ),
    "email_change_requested": MailTemplate(
        subject=Template("Your $service email address is about to change"),
        text=Template(
            """Hello $name,

someone asked on $when to change the email address of your $service account
($to) to $new_email. The change happens only when the link mailed to
$new_email is followed; until then your address stays $to.

If you did not ask, change your password on $base_url/account/security
(which cancels the change) and tell the people who run $service.
"""
        ),
    ),
    "email_in_use": MailTemplate(
        subject=Template("Your email address was given for another $service account"),
        text=Template(
            """Hello,

someone asked on $when to use $to as the email address of another $service
account. An account on $service already has this address, so nothing was
changed.

If it was you and you cannot sign in, ask for a new password at
$forgot_link
"""
        ),
    ),
    "new_browser_sign_in": MailTemplate(
        subject=Template("New sign-in to your $service account"),
        text=Template(
            """Hello $name,

your $service account ($to) was signed in to from a browser it was not
signed in from before, on $when.
Browser: $browser
Address: $address

If it was you, there is nothing to do. If it was not, change your password
on $base_url/account/security straight away: that signs out every other
browser. You can also sign out single sessions there.
"""
        ),
    ),
    "second_factor_added": MailTemplate(
        subject=Template("A second factor was added to your $service account"),
        text=Template(
            """Hello $name,

$factor was added as a second factor to your $service account ($to)
on $when. Signing in now asks for it after the password, and the API takes
personal access tokens instead of the password.

If you did not add it, someone else has your password: change it on
$base_url/account/security and remove the factor.
"""
        ),
    ),
    "second_factor_removed": MailTemplate(
        subject=Template("A second factor was removed from your $service account"),
        text=Template(
            """Hello $name,

$factor was removed from your $service account ($to) on $when.

If you did not remove it, someone else can sign in as you: change your
password on $base_url/account/security and check your second factors.
"""
        ),
    ),
    # The operator's decisions on an application, mailed to both its
    # contacts (civicauth/clients/decisions.py).
    "app_approved": MailTemplate(
        subject=Template("$app_name is approved on $service"),
        text=Template(
            """Hello $name,

the application $app_name ($organization), application id $client_id,
was approved by the people who run $service on $when. Every resident can
now authorize it.
"""
        ),
    ),
    "app_rejected": MailTemplate(
        subject=Template("$app_name was not approved on $service"),
        text=Template(
            """Hello $name,

the application $app_name ($organization), application id $client_id,
was not approved by the people who run $service on $when.

The reason given: $reason

Nobody can use the application, its developer included. Its developer can
edit it on $base_url/oauth/applications/$client_id, which sends it back for
review.
"""
        ),
    ),
    "app_change_approved": MailTemplate(
        subject=Template("The change to $app_name is approved on $service"),
        text=Template(
            """Hello $name,

the change to the application $app_name ($organization), application id
$client_id, was approved by the people who run $service on $when. It is
live now.
"""
        ),
    ),
    "app_change_rejected": MailTemplate(
        subject=Template("The change to $app_name was not approved on $service"),
        text=Template(
            """Hello $name,

the change proposed to the application $app_name ($organization),
application id $client_id, was not approved by the people who run $service
on $when. The approved version stays live.

The reason given: $reason
"""
        ),
    ),
    "app_suspended": MailTemplate(
        subject=Template("$app_name is suspended on $service"),
        text=Template(
            """Hello $name,

the application $app_name ($organization), application id $client_id,
was suspended by the people who run $service on $when.

The reason given: $reason

While it is suspended, its tokens are refused and residents cannot
authorize it. Reply to the people who run $service to have it reinstated.
"""
        ),
    ),
    "app_reinstated": MailTemplate(
        subject=Template("$app_name is reinstated on $service"),
        text=Template(
            """Hello $name,

the application $app_name ($organization), application id $client_id,
was reinstated by the people who run $service on $when. Its tokens that
have not expired work again, and residents can authorize it.
"""
        ),
    ),
}


def render(name: str, context: dict[str, str]) -> RenderedMail:
    """The mail ``name`` filled from ``context`` (which holds the standard
    keys too). Raises KeyError for an unknown template or a missing value."""
    template = TEMPLATES[name]
    return RenderedMail(
        subject=template.subject.substitute(context),
        text=template.text.substitute(context) + Template(FOOTER).substitute(context),
    )


def check(name: str, context: dict[str, str]) -> None:
    """Raise ValueError now, in the caller's transaction, for a mail that
    could never be rendered, instead of failing in the sender later."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown mail template {name!r}")
    try:
        render(name, {key: "" for key in STANDARD_KEYS} | context)
    except KeyError as exc:
        raise ValueError(f"mail template {name!r} needs a value for {exc.args[0]}") from None
