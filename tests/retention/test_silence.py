"""After the purge the account gets no email except the deletion certificate."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail

from offboarding.models.notices import OutboxMessage
from tests.retention.conftest import BOUNDARY, run_due


def test_only_certificate_after_purge(world, frozen_clock):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    run_due(frozen_clock, BOUNDARY + timedelta(days=30))
    case.refresh_from_db()
    before = set(OutboxMessage.objects.filter(case=case).values_list("pk", flat=True))
    mail.outbox.clear()

    # Months pass after the purge: every scan runs every cadence and sender again.
    for days in (31, 40, 60, 120, 400):
        run_due(frozen_clock, BOUNDARY + timedelta(days=days))

    after_purge = OutboxMessage.objects.filter(case=case).exclude(pk__in=before)
    assert list(after_purge.values_list("template", flat=True)) == []
    certificates = OutboxMessage.objects.filter(case=case, template="deletion_certificate")
    assert certificates.count() == 1
    assert mail.outbox == []
    sent_templates = set(
        OutboxMessage.objects.filter(
            case=case, status="sent", sent_at__gte=case.purged_at
        ).values_list("template", flat=True)
    )
    assert sent_templates <= {"deletion_certificate"}


def test_certificate_email_reaches_owner(world, frozen_clock):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    mail.outbox.clear()
    run_due(frozen_clock, BOUNDARY + timedelta(days=30))

    certificate_mails = [m for m in mail.outbox if m.to == [northwind.owner.email]]
    assert len(certificate_mails) == 1
    names = [attachment[0] for attachment in certificate_mails[0].attachments]
    assert names == ["deletion-certificate.pdf", "deletion-certificate.json"]
