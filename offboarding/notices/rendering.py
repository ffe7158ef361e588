"""Rendering a notice: subject, plain text and HTML in the account's language and time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import storages
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from offboarding import clock
from offboarding.conf import app_settings
from offboarding.models import OffboardingCase
from offboarding.models.notices import OutboxMessage
from offboarding.notices import context as context_codec
from offboarding.notices.recipients import Recipients, contact_digest
from offboarding.notices.unsubscribe import unsubscribe_url

TEMPLATE_DIR = "offboarding/email"


def template_context(message: OutboxMessage, case: OffboardingCase) -> dict[str, Any]:
    return {
        **context_codec.decode(message.context),
        "case": case,
        "account_label": case.account_label,
        "site_url": app_settings.SITE_URL.rstrip("/"),
        "portal_url": _portal_url(),
        "required": message.required,
        "step": message.step,
        # Counted at rendering time, because a reminder sent after its due time (a stopped
        # worker, a moved clock) must state the days that are actually left.
        "days_until_deletion": _whole_days_until(case.retention_ends_at),
    }


def _whole_days_until(moment: datetime | None) -> int:
    """Return the days from now until ``moment``, rounded to the nearest whole day, at least 0."""
    if moment is None:
        return 0
    remaining = (moment - clock.now()) / timedelta(days=1)
    return max(0, round(remaining))


def _portal_url() -> str:
    try:
        path = reverse("offboarding:portal")
    except NoReverseMatch:
        return ""
    return app_settings.SITE_URL.rstrip("/") + path


def render_parts(
    template: str, context: dict[str, Any], recipients: Recipients
) -> tuple[str, str, str | None]:
    """Return (subject, text, html or None); the HTML template is optional."""
    with translation.override(recipients.language), timezone.override(recipients.time_zone):
        subject = render_to_string(f"{TEMPLATE_DIR}/{template}_subject.txt", context)
        text = render_to_string(f"{TEMPLATE_DIR}/{template}_message.txt", context)
        try:
            html = render_to_string(f"{TEMPLATE_DIR}/{template}_message.html", context)
        except TemplateDoesNotExist:
            html = None
    # A subject is one line, however the template wraps it.
    return " ".join(subject.split()), text, html


def build_email(
    message: OutboxMessage,
    case: OffboardingCase,
    recipients: Recipients,
    email: str,
    attachments: list[tuple[str, bytes, str]],
) -> EmailMultiAlternatives:
    """Return the email of ``message`` to one contact, with unsubscribe headers if optional."""
    context = template_context(message, case)
    headers = {
        "Message-ID": f"<notice-{message.pk}-{contact_digest(email)[:16]}@{_mail_domain()}>",
        "Auto-Submitted": "auto-generated",
        # Names the outbox row, so support staff can find a message a customer forwards.
        "X-Offboarding-Notice": message.key,
    }
    if not message.required:
        url = unsubscribe_url(case.account_key, email)
        context["unsubscribe_url"] = url
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    subject, text, html = render_parts(message.template, context, recipients)
    mail = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [email], headers=headers
    )
    if html is not None:
        mail.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        mail.attach(filename, content, mimetype)
    return mail


def read_attachments(message: OutboxMessage) -> list[tuple[str, bytes, str]]:
    """Read the message's attachments from storage now, so the latest file is sent."""
    storage = storages[app_settings.STORAGE_ALIAS]
    files = []
    for filename, name, mimetype in message.attachments:
        with storage.open(name, "rb") as handle:
            files.append((filename, handle.read(), mimetype))
    return files


def _mail_domain() -> str:
    return urlsplit(app_settings.SITE_URL).hostname or "localhost"
