"""Texts of the deletion certificate: times in the account's zone, named notices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from offboarding.models import AuditEvent, CaseNoticeProfile, DeletionCertificate, PurgeRun
from offboarding.notices.sending import send_due_notices
from offboarding.purge import certificate as certificates
from tests.retention.conftest import BOUNDARY, run_due


@pytest.fixture
def purged_with_notices(world, frozen_clock):
    """Northwind purged 30 days after its boundary, with every due notice sent."""
    northwind, _, case = world
    send_due_notices()
    run_due(frozen_clock, BOUNDARY)
    send_due_notices()
    run_due(frozen_clock, BOUNDARY + timedelta(days=30))
    case.refresh_from_db()
    return northwind, case


def certificate_html(case, time_zone: str = "") -> str:
    certificate = DeletionCertificate.objects.get(case=case)
    zone = time_zone or certificates.certificate_time_zone(case)
    return certificates.render_html(case, certificate.data, "en", zone)


def test_certificate_times_in_account_zone(purged_with_notices):
    _, case = purged_with_notices

    html = certificate_html(case)

    # The boundary is 1 June 2024 00:00 UTC, 2 a.m. in Berlin's summer time.
    assert PurgeRun.objects.get(case=case).timezone == "Europe/Berlin"
    assert "June 1, 2024, 2 a.m. CEST" in html
    assert "June 1, 2024, midnight" not in html


def test_certificate_names_sent_notices(purged_with_notices):
    _, case = purged_with_notices
    certificate = DeletionCertificate.objects.get(case=case)
    issued = AuditEvent.objects.get(case=case, action="deletion_certificate_issued")
    sent_before = AuditEvent.objects.filter(
        case=case, action="notice_sent", sequence__lt=issued.sequence
    )

    html = certificate_html(case)
    steps = certificate.data["steps"]

    assert list(sent_before.values_list("data__template", flat=True)) == ["final_invoice"]
    assert [step["notice"] for step in steps if step["action"] == "notice_sent"] == [
        "final_invoice"
    ]
    assert "Message sent: final invoice" in html
    assert "<td>Message sent</td>" not in html


def test_notice_label_known_and_unknown():
    assert str(certificates.notice_label("final_invoice")) == "final invoice"
    assert certificates.notice_label("ninety-days_left@20240601T000000Z") == "ninety days left"


def test_certificate_zone_from_notice_profile(purged_with_notices):
    _, case = purged_with_notices
    assert certificates.certificate_time_zone(case) == "Europe/Berlin"

    PurgeRun.objects.filter(case=case).update(timezone="")
    CaseNoticeProfile.objects.update_or_create(
        case=case, defaults={"time_zone": "America/New_York"}
    )
    case.refresh_from_db()
    zone = certificates.certificate_time_zone(case)

    assert zone == "America/New_York"
    # The boundary, 1 June 2024 00:00 UTC, is the evening before in New York.
    assert "May 31, 2024, 8 p.m. EDT" in certificate_html(case, zone)


def test_certificate_says_the_invoice_names_the_buyer(purged_with_notices):
    # The kept final invoice carries the buyer's name and address, so the certificate
    # must not claim that nothing kept names a person.
    _, case = purged_with_notices

    html = certificate_html(case)

    assert "which names the buyer" in html
    assert "None of them names a person" not in html
