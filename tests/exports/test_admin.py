"""Staff start an export from a case; the export list is read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from offboarding.models import AuditEvent, DataExport, OffboardingCase


@pytest.fixture
def case(demo_accounts, frozen_clock):
    seeds, _ = demo_accounts
    return OffboardingCase.objects.create(
        account_key=str(seeds[0].organisation_id), requested_at=frozen_clock.now()
    )


def test_staff_starts_export_for_customer(
    admin_client, admin_user, case, django_capture_on_commit_callbacks
):
    url = reverse("admin:offboarding_offboardingcase_action", args=[case.pk, "start_export"])
    assert admin_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(
            url, {"formats": ["csv", "xlsx"], "reason": "Customer asked by phone"}
        )
    assert response.status_code == 302
    export = DataExport.objects.get(account_key=case.account_key)
    assert export.formats == ["csv", "xlsx"]
    assert export.case == case
    assert export.requested_by_kind == "staff"
    assert export.requested_by == str(admin_user.pk)
    event = AuditEvent.objects.get(case=case, action="export_requested")
    assert event.reason == "Customer asked by phone"


def test_staff_export_needs_a_format(admin_client, case):
    url = reverse("admin:offboarding_offboardingcase_action", args=[case.pk, "start_export"])
    response = admin_client.post(url, {"formats": [], "reason": "Asked by phone"})
    assert response.status_code == 200
    assert not DataExport.objects.exists()


def test_export_admin_is_read_only(admin_client, case):
    from offboarding.exports import service
    from offboarding.models import Actor

    export = service.request_export(case.account_key, ["csv"], actor=Actor.system(), queue=False)
    assert admin_client.get(reverse("admin:offboarding_dataexport_changelist")).status_code == 200
    change = admin_client.get(reverse("admin:offboarding_dataexport_change", args=[export.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert admin_client.get(reverse("admin:offboarding_dataexport_add")).status_code == 403
