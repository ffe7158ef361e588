"""The purge with the default adapter, where every user is an account.

The user row contains the person's login, email and name, so the purge deletes it, except
for staff users and superusers, whose rows stay and whose cases are flagged for staff.
"""

import logging

import pytest
from django.core import mail

from offboarding import jobs
from offboarding.models import Actor, CaseState, DeletionCertificate, Tombstone
from offboarding.models.retention import PurgeRun
from offboarding.purge.service import STAFF_ROW_KEPT
from offboarding.services import lifecycle
from tests.conftest import utc

# The customer's boundary is 31 March 2024 10:00 UTC and the retention window is 30 days.
AFTER_RETENTION = utc(2024, 5, 1)


@pytest.fixture
def purge_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def purge_after_retention(user, frozen_clock):
    case = lifecycle.open_case(user, user)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(user))
    frozen_clock.at(utc(2024, 3, 31, 10))
    jobs.scan_due_work()
    frozen_clock.at(AFTER_RETENTION)
    jobs.scan_due_work()
    # The certificate step and the notice outbox run on the scan after the purge.
    jobs.scan_due_work()
    case.refresh_from_db()
    return case


def test_purge_deletes_user_row(customer, frozen_clock, purge_settings, django_user_model):
    case = purge_after_retention(customer, frozen_clock)

    assert case.state == CaseState.PURGED
    assert not django_user_model.objects.filter(pk=customer.pk).exists()
    assert not django_user_model.objects.filter(email="ann@example.com").exists()
    assert PurgeRun.objects.get(case=case).account_row_deleted
    assert Tombstone.objects.get(case_public_id=case.public_id).account_row_deleted
    assert not case.needs_attention


def test_certificate_reaches_deleted_user(customer, frozen_clock, purge_settings):
    case = purge_after_retention(customer, frozen_clock)

    assert DeletionCertificate.objects.filter(case=case).exists()
    certificate_mails = [
        message
        for message in mail.outbox
        if any(name == "deletion-certificate.pdf" for name, *_ in message.attachments)
    ]
    assert len(certificate_mails) == 1
    assert certificate_mails[0].to == ["ann@example.com"]


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_purge_keeps_staff_user_row(
    flag, customer, frozen_clock, purge_settings, django_user_model, caplog
):
    setattr(customer, flag, True)
    customer.save(update_fields=[flag])

    with caplog.at_level(logging.WARNING, logger="offboarding.purge.service"):
        case = purge_after_retention(customer, frozen_clock)
        # A later run of the purge, as after a crash, records nothing a second time.
        jobs.scan_due_work()

    assert case.state == CaseState.PURGED
    assert django_user_model.objects.filter(pk=customer.pk).exists()
    assert not PurgeRun.objects.get(case=case).account_row_deleted
    assert case.needs_attention
    assert "staff user or superuser" in case.attention_reason
    assert case.events.filter(action=STAFF_ROW_KEPT).count() == 1
    warnings = [r for r in caplog.records if "kept account row" in r.getMessage()]
    assert len(warnings) == 1
    assert "ann@example.com" not in warnings[0].getMessage()
