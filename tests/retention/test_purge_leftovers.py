"""What the purge must not leave behind: the account label, late sessions, raw codes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from offboarding.models import CaseState, DeletionCertificate, RevocationRecord, Tombstone
from offboarding.models.invoices import FinalInvoice
from offboarding.purge.service import PURGE_SESSIONS, purge_case
from tests.retention.conftest import BOUNDARY, PASSWORD, run_due

AFTER_RETENTION = BOUNDARY + timedelta(days=30)


def password_login(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def signed_in_after_boundary(world, frozen_clock):
    """The owner signs in to the portal the day after the boundary, then the purge runs."""
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)
    frozen_clock.at(BOUNDARY + timedelta(days=1))
    owner = password_login(northwind.owner)
    session_key = owner.session.session_key
    assert Session.objects.filter(session_key=session_key).exists()

    run_due(frozen_clock, AFTER_RETENTION)
    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    return northwind, case, session_key


def certificate_text(case) -> str:
    certificate = DeletionCertificate.objects.get(case=case)
    with default_storage.open(certificate.pdf_name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_purge_ends_session_opened_after_boundary(signed_in_after_boundary):
    _, case, session_key = signed_in_after_boundary

    assert not Session.objects.filter(session_key=session_key).exists()
    record = RevocationRecord.objects.get(case=case, revoker=PURGE_SESSIONS)
    assert record.count == 1


def test_purge_sessions_second_run_counts_zero(signed_in_after_boundary):
    _, case, _ = signed_in_after_boundary

    outcome = purge_case(case)

    assert outcome["sessions_ended"] == 0
    record = RevocationRecord.objects.get(case=case, revoker=PURGE_SESSIONS)
    assert record.count == 1


def test_purge_replaces_account_label(signed_in_after_boundary):
    northwind, case, _ = signed_in_after_boundary

    assert case.account_label == f"Deleted account {case.public_id}"
    assert northwind.organisation.name not in case.account_label
    assert Tombstone.objects.filter(case_public_id=case.public_id).exists()


def test_purged_label_in_admin_search(signed_in_after_boundary, admin_client):
    northwind, case, _ = signed_in_after_boundary
    cases_url = reverse("admin:offboarding_offboardingcase_changelist")

    by_label = admin_client.get(cases_url, {"q": "Deleted account"}).content.decode()
    by_name = admin_client.get(cases_url, {"q": northwind.organisation.name})

    assert case.public_id in by_label
    assert case.public_id not in by_name.content.decode()


def test_final_invoice_keeps_buyer(signed_in_after_boundary):
    northwind, case, _ = signed_in_after_boundary
    invoice = FinalInvoice.objects.get(case=case)

    assert invoice.buyer["name"] == northwind.organisation.name


def test_certificate_email_greets_without_label(signed_in_after_boundary, mailoutbox):
    from offboarding.notices.sending import send_due_notices

    _, case, _ = signed_in_after_boundary
    send_due_notices()

    [message] = [mail for mail in mailoutbox if "deleted" in mail.subject.lower()]
    assert message.body.startswith("Hello,")
    assert "Deleted account" not in message.body


def test_certificate_shows_labels_not_codes(signed_in_after_boundary):
    _, case, _ = signed_in_after_boundary

    text = certificate_text(case)

    assert "Cancellation confirmed" in text
    assert "Access ended" in text
    assert "Deletion started" in text
    assert "Projects" in text
    for code in ("confirm_cancel", "reach_boundary", "purge_started", "account:", "accounts."):
        assert code not in text


def test_certificate_json_keeps_codes(signed_in_after_boundary):
    _, case, _ = signed_in_after_boundary

    data = DeletionCertificate.objects.get(case=case).data

    actions = {step["action"] for step in data["steps"]}
    assert {"request", "confirm_cancel", "reach_boundary", "purge_started"} <= actions
    assert any(item["source"].startswith("account:") for item in data["deleted"])
