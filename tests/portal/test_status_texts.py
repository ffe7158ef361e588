"""Texts of the status page: the export's waiting state and times inside sentences."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from offboarding.models import DataExport, ExportStatus
from offboarding.views.exports import EXPORT_EXPECTED_START
from tests.portal.test_pages import _scheduled_case

QUEUED_TEXT = "Export queued since"
LATE_TEXT = "This is taking longer than usual."


@pytest.fixture(autouse=True)
def empty_cache():
    # The late-export warning is remembered in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def _request_export(client, case):
    status_url = reverse("offboarding:status", args=[case.public_id])
    client.post(reverse("offboarding:export-request"), {"formats": ["csv"], "next": status_url})
    return DataExport.objects.get(account_key=case.account_key), status_url


def test_new_export_shows_queued(client, customer):
    case = _scheduled_case(client, customer)
    export, status_url = _request_export(client, case)

    page = client.get(status_url).content.decode()

    assert export.status == ExportStatus.REQUESTED
    assert QUEUED_TEXT in page
    assert LATE_TEXT not in page
    assert "Start export" not in page


def test_waiting_export_shows_late_and_warns_once(client, customer, clock_now, caplog):
    case = _scheduled_case(client, customer)
    export, status_url = _request_export(client, case)
    clock_now.advance(EXPORT_EXPECTED_START + timedelta(seconds=1))

    with caplog.at_level(logging.WARNING, logger="offboarding.views.exports"):
        pages = [client.get(status_url).content.decode() for _ in range(3)]
        fragment = client.get(reverse("offboarding:export-status", args=[export.token]))

    for page in pages:
        assert QUEUED_TEXT in page
        assert LATE_TEXT in page
    assert LATE_TEXT in fragment.content.decode()
    warnings = [r for r in caplog.records if "no worker has taken it" in r.getMessage()]
    assert len(warnings) == 1
    assert str(export.pk) in warnings[0].getMessage()


def test_export_within_expected_start_not_late(client, customer, clock_now):
    case = _scheduled_case(client, customer)
    _, status_url = _request_export(client, case)
    clock_now.advance(EXPORT_EXPECTED_START)

    page = client.get(status_url).content.decode()

    assert QUEUED_TEXT in page
    assert LATE_TEXT not in page


def test_running_export_with_expired_lease_is_late(client, customer, clock_now):
    case = _scheduled_case(client, customer)
    export, status_url = _request_export(client, case)
    DataExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING,
        lease_expires_at=timezone.now() - EXPORT_EXPECTED_START - timedelta(seconds=1),
    )

    page = client.get(status_url).content.decode()

    assert "Export in progress" in page
    assert LATE_TEXT in page


def test_running_export_with_live_lease_not_late(client, customer):
    case = _scheduled_case(client, customer)
    export, status_url = _request_export(client, case)
    DataExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )

    page = client.get(status_url).content.decode()

    assert "Export in progress" in page
    assert LATE_TEXT not in page


def test_time_never_doubles_full_stop(client, customer):
    # The paid period ends at 10:00 UTC, which English formats as "10 a.m.".
    case = _scheduled_case(client, customer)

    page = client.get(reverse("offboarding:status", args=[case.public_id])).content.decode()
    text = re.sub(r"<[^>]+>", " ", page)

    assert "10 a.m." in text
    assert not re.search(r"[ap]\.m\.\.", text)
    assert "when your subscription ends (March 31, 2024, 10 a.m. UTC)." in text
