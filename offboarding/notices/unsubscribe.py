"""One-click unsubscribe (RFC 8058) from optional notices.

The link carries a signed token naming the account and a keyed hash of the contact, so it
works without a login, cannot be changed to name another account or contact, and shows
no address. Tokens do not expire, because mail clients offer the link as long as the
message is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from offboarding import clock
from offboarding.conf import app_settings
from offboarding.models import Actor, ActorKind, OffboardingCase
from offboarding.models.notices import NoticeUnsubscribe
from offboarding.notices.recipients import contact_digest

logger = logging.getLogger(__name__)

TOKEN_SALT = "offboarding.notices.unsubscribe"  # noqa: S105 - a signing salt, not a secret


class InvalidToken(ValueError):
    """The unsubscribe token is malformed or its signature does not match."""


def make_token(account_key: str, email: str) -> str:
    return signing.dumps({"a": account_key, "c": contact_digest(email)}, salt=TOKEN_SALT)


def read_token(token: str) -> tuple[str, str]:
    """Return (account key, contact digest) from ``token``; raise InvalidToken if forged."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature as error:
        raise InvalidToken("The unsubscribe token's signature does not match.") from error
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("a"), str)
        or not isinstance(payload.get("c"), str)
    ):
        raise InvalidToken("The unsubscribe token has no account or contact.")
    return payload["a"], payload["c"]


def unsubscribe_url(account_key: str, email: str) -> str:
    path = reverse("offboarding:notice_unsubscribe", args=[make_token(account_key, email)])
    return app_settings.SITE_URL.rstrip("/") + path


def is_unsubscribed(account_key: str, email: str) -> bool:
    return NoticeUnsubscribe.objects.filter(
        account_key=account_key, contact_digest=contact_digest(email)
    ).exists()


def unsubscribed_contacts(account_keys: Iterable[str]) -> set[tuple[str, str]]:
    """Return (account key, contact digest) of every unsubscribe of these accounts."""
    return set(
        NoticeUnsubscribe.objects.filter(account_key__in=set(account_keys)).values_list(
            "account_key", "contact_digest"
        )
    )


def unsubscribe(token: str) -> tuple[NoticeUnsubscribe, bool]:
    """Stop optional notices to the token's contact; return (the record, whether it is new).

    The unsubscribe is recorded on the account's latest case; a repeated request changes
    nothing.
    """
    account_key, digest = read_token(token)
    existing = NoticeUnsubscribe.objects.filter(account_key=account_key, contact_digest=digest)
    if (found := existing.first()) is not None:
        return found, False

    case = (
        OffboardingCase.objects.for_account(account_key).order_by("-requested_at", "-pk").first()
    )
    try:
        with transaction.atomic():
            record = NoticeUnsubscribe.objects.create(
                account_key=account_key,
                contact_digest=digest,
                case=case,
                created_at=clock.now(),
            )
            if case is not None:
                # The contact is not signed in: a customer actor without a user id.
                case.record(
                    "notice_unsubscribed",
                    actor=Actor(ActorKind.CUSTOMER),
                    data={"contact": digest[:16]},
                )
    except IntegrityError:
        # A second click raced the first one, whose record is kept.
        return existing.get(), False
    logger.info("Account %s: a contact unsubscribed from optional notices", account_key)
    return record, True
