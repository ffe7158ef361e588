"""One-click unsubscribe (RFC 8058): signed tokens, no session, POST only."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import signing
from django.test import Client

from offboarding.models.notices import NoticeUnsubscribe, OutboxMessage, OutboxStatus
from offboarding.notices.api import queue_notice
from offboarding.notices.sending import send_due_notices
from offboarding.notices.unsubscribe import TOKEN_SALT, make_token
from tests.conftest import utc
from tests.notices.helpers import cancel, subscribed_user


@pytest.fixture
def two_cases(notice_settings, frozen_clock, monthly_plan):
    """Two accounts whose only contact is the same address."""
    frozen_clock.at(utc(2024, 10, 1, 0))
    first = subscribed_user("first", "shared@example.com", since=utc(2024, 10, 1, 0))
    second = subscribed_user("second", "shared@example.com", since=utc(2024, 10, 1, 0))
    frozen_clock.at(utc(2024, 10, 20, 12))
    return cancel(first), cancel(second)


def path_of(header: str) -> str:
    url = header.strip().strip("<>")
    return url.removeprefix("https://app.example.invalid")


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def test_one_click_post_unsubscribes_without_session(smtp_sink, two_cases):
    first, second = two_cases
    queue_notice(first, "offer-1", "winback", {}, required=False)
    send_due_notices()
    [message] = smtp_sink.inbox.take()
    path = path_of(message["List-Unsubscribe"])

    response = csrf_client().post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    record = NoticeUnsubscribe.objects.get()
    assert record.account_key == first.account_key
    assert "shared@example.com" not in record.contact_digest
    event = first.events.get(action="notice_unsubscribed")
    assert event.actor_kind == "customer"
    assert event.actor_id == ""

    # Optional notices stop for that account; required ones and the other account go on.
    queue_notice(first, "offer-2", "winback", {}, required=False)
    queue_notice(first, "service", "access_ended", {})
    queue_notice(second, "offer-2", "winback", {}, required=False)
    send_due_notices()
    received = {
        (m["X-Offboarding-Notice"], m["List-Unsubscribe"] is None) for m in smtp_sink.inbox.take()
    }
    assert received == {("service", True), ("offer-2", False)}
    skipped = OutboxMessage.objects.get(case=first, key="offer-2")
    assert skipped.status == OutboxStatus.CANCELLED
    assert skipped.cancel_reason == "every contact unsubscribed from optional notices"
    assert not second.events.filter(action="notice_unsubscribed").exists()


def test_get_only_shows_confirmation(two_cases):
    first, _ = two_cases
    token = make_token(first.account_key, "shared@example.com")
    response = csrf_client().get(f"/offboarding/unsubscribe/{token}/")
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert not NoticeUnsubscribe.objects.exists()


def test_repeated_post_changes_nothing(two_cases):
    first, _ = two_cases
    path = f"/offboarding/unsubscribe/{make_token(first.account_key, 'shared@example.com')}/"
    assert csrf_client().post(path).status_code == 200
    assert csrf_client().post(path).status_code == 200
    assert NoticeUnsubscribe.objects.count() == 1
    assert first.events.filter(action="notice_unsubscribed").count() == 1


def tampered(token: str, account_key: str) -> str:
    """The token with its account swapped and the original signature kept."""
    payload, signature = token.split(":", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["a"] = account_key
    swapped = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    return swapped.decode().rstrip("=") + ":" + signature


def test_tampered_token_changes_nothing(two_cases):
    first, second = two_cases
    token = make_token(first.account_key, "shared@example.com")
    forged = tampered(token, second.account_key)
    assert forged != token

    response = csrf_client().post(f"/offboarding/unsubscribe/{forged}/")
    assert response.status_code == 400
    assert not NoticeUnsubscribe.objects.exists()
    assert not second.events.filter(action="notice_unsubscribed").exists()


def test_token_with_other_salt_is_invalid(two_cases):
    first, _ = two_cases
    token = signing.dumps({"a": first.account_key, "c": "x"}, salt="another.purpose")
    response = csrf_client().post(f"/offboarding/unsubscribe/{token}/")
    assert response.status_code == 400
    assert not NoticeUnsubscribe.objects.exists()
    assert signing.loads(make_token("1", "a@example.com"), salt=TOKEN_SALT)["a"] == "1"


def test_token_of_one_account_leaves_other_subscribed(smtp_sink, two_cases):
    first, second = two_cases
    token = make_token(first.account_key, "shared@example.com")
    csrf_client().post(f"/offboarding/unsubscribe/{token}/")

    queue_notice(second, "offer", "winback", {}, required=False)
    send_due_notices()
    [message] = smtp_sink.inbox.take()
    assert message["To"] == "shared@example.com"
    assert NoticeUnsubscribe.objects.filter(account_key=second.account_key).count() == 0


def test_other_views_still_check_csrf(two_cases, django_user_model):
    user = django_user_model.objects.get(username="first")
    client = csrf_client()
    client.force_login(user)
    response = client.post("/offboarding/cancel/")
    assert response.status_code == 403
