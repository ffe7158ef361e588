"""Where the final invoice reaches people: email, portal download, portal panel, admin."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from offboarding.invoices import services
from tests.invoices.conftest import cancel_immediately


@pytest.fixture
def invoice(invoice_settings, frozen_clock, monthly_plan, customer):
    return cancel_immediately(frozen_clock, customer, "team-monthly").final_invoice


def download_url(invoice) -> str:
    return reverse("offboarding:invoice-download", args=[invoice.token])


def test_owner_downloads_pdf(client, customer, invoice):
    client.force_login(customer)
    response = client.get(download_url(invoice))
    body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="FIN-2024-000001.pdf"' in response["Content-Disposition"]
    assert body.startswith(b"%PDF-")
    assert "no-cache" in response["Cache-Control"]


def test_other_user_gets_404(client, django_user_model, invoice):
    other = django_user_model.objects.create_user("bob", "bob@example.com", "pw")
    client.force_login(other)

    assert client.get(download_url(invoice)).status_code == 404


def test_unknown_token_gets_404(client, customer, invoice):
    client.force_login(customer)

    assert client.get(reverse("offboarding:invoice-download", args=["nope"])).status_code == 404


def test_anonymous_redirected_to_login(client, invoice):
    response = client.get(download_url(invoice))

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_post_not_allowed(client, customer, invoice):
    client.force_login(customer)

    assert client.post(download_url(invoice)).status_code == 405


def test_panel_links_invoice(rf, customer, invoice):
    html = render_to_string(
        "offboarding/portal/_invoice_panel.html",
        {"case": invoice.case, "request": rf.get("/"), "user": customer},
    )

    assert download_url(invoice) in html
    assert "FIN-2024-000001" in html
    assert "no further charges will be made" in html


def test_panel_before_boundary(rf, invoice_settings, frozen_clock, monthly_plan, customer):
    from offboarding.billing.local import LocalLedgerBackend
    from offboarding.models import Actor
    from offboarding.services import lifecycle
    from tests.conftest import utc

    LocalLedgerBackend().subscribe(str(customer.pk), "team-monthly", utc(2024, 4, 1))
    frozen_clock.at(utc(2024, 4, 19))
    case = lifecycle.open_case(customer, customer)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
    html = render_to_string(
        "offboarding/portal/_invoice_panel.html",
        {"case": case, "request": rf.get("/"), "user": customer},
    )

    assert "Your final invoice is issued when your subscription ends" in html
    assert "invoices/" not in html


def test_admin_lists_and_downloads(admin_client, invoice):
    changelist = admin_client.get(reverse("admin:offboarding_finalinvoice_changelist"))
    change = admin_client.get(reverse("admin:offboarding_finalinvoice_change", args=[invoice.pk]))
    pdf = admin_client.get(reverse("admin:offboarding_finalinvoice_pdf", args=[invoice.pk]))

    assert changelist.status_code == 200
    assert b"FIN-2024-000001" in changelist.content
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert b"View final invoice" in change.content
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")


def test_admin_refuses_staff_without_view_permission(client, django_user_model, invoice):
    staff = django_user_model.objects.create_user("staff", "s@example.com", "pw", is_staff=True)
    client.force_login(staff)

    assert (
        client.get(reverse("admin:offboarding_finalinvoice_pdf", args=[invoice.pk])).status_code
        == 403
    )


def test_notice_queued_with_pdf(invoice):
    notices = pytest.importorskip("offboarding.notices.api")
    from offboarding.models.notices import OutboxMessage

    message = OutboxMessage.objects.get(case=invoice.case, key="final_invoice")
    document = invoice.document

    assert notices.queue_notice is not None
    assert message.template == "final_invoice"
    assert [list(a) for a in message.attachments] == [
        ["FIN-2024-000001.pdf", document.storage_name, "application/pdf"]
    ]
    assert services.deliver(invoice) is True
    assert OutboxMessage.objects.filter(case=invoice.case, key="final_invoice").count() == 1


def test_email_sent_with_attachment(invoice, mailoutbox):
    jobs = pytest.importorskip("offboarding.notices.jobs")
    jobs.process_due_notices()
    sent = [m for m in mailoutbox if "FIN-2024-000001" in m.subject]

    assert len(sent) == 1
    body = sent[0].body
    assert "No further charges will be made." in body
    assert "Team (monthly): closed on April 19, 2024, midnight UTC" in body
    assert "Balance: €0.00" in body
    assert [(name, mime) for name, _content, mime in sent[0].attachments] == [
        ("FIN-2024-000001.pdf", "application/pdf")
    ]
    assert sent[0].attachments[0][1].startswith(b"%PDF-")


def test_deliver_without_notices_app(monkeypatch, invoice):
    import sys

    monkeypatch.setitem(sys.modules, "offboarding.notices.api", None)

    assert services.deliver(invoice) is False


def test_status_page_shows_panel(client, customer, invoice):
    client.force_login(customer)
    response = client.get(reverse("offboarding:status", args=[invoice.case.public_id]))

    assert response.status_code == 200
    assert download_url(invoice).encode() in response.content
