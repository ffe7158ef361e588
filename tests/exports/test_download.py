"""Requesting exports and downloading archives through signed, account-bound links."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse

from config.accounts.models import Membership, Role
from offboarding.exports import links, service
from offboarding.models import Actor, AuditEvent, DataExport, ExportStatus, OffboardingCase

PASSWORD = "x"  # The generator gives every demo user this password in conftest.


def owner_of(seed):
    return Membership.objects.get(organisation_id=seed.organisation_id, role=Role.OWNER).user


def member_of(seed):
    return Membership.objects.get(organisation_id=seed.organisation_id, role=Role.MEMBER).user


def sign_in(client, user):
    """Sign in through allauth's login form, which records a fresh authentication."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]


@pytest.fixture
def ready_export(demo_accounts, frozen_clock):
    seeds, _ = demo_accounts
    account_key = str(seeds[0].organisation_id)
    case = OffboardingCase.objects.create(account_key=account_key, requested_at=frozen_clock.now())
    export = service.request_export(account_key, ["csv"], actor=Actor.system(), queue=False)
    service.run_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    return seeds, case, export


def snapshot(export):
    export.refresh_from_db()
    return (
        export.status,
        export.first_downloaded_at,
        AuditEvent.objects.filter(case=export.case).count(),
    )


def test_owner_downloads_archive(client, ready_export):
    seeds, case, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    response = client.get(links.download_url(export))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "manifest.json" in archive.namelist()
    export.refresh_from_db()
    assert export.first_downloaded_at is not None
    assert AuditEvent.objects.filter(case=case, action="export_downloaded").count() == 1


def test_tampered_link_404(client, ready_export):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    before = snapshot(export)
    url = links.download_url(export)
    signed = url.rstrip("/").rsplit("/", 1)[1]
    tampered = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    assert client.get(reverse("offboarding:export-download", args=[tampered])).status_code == 404
    assert snapshot(export) == before


def test_link_for_other_export_token_404(client, ready_export):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    before = snapshot(export)
    forged = DataExport(token=export.token, account_key=str(seeds[1].organisation_id))
    assert client.get(links.download_url(forged)).status_code == 404
    assert snapshot(export) == before


def test_expired_link_404(client, ready_export, settings):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    before = snapshot(export)
    max_age = settings.OFFBOARDING.get("EXPORT_LINK_MAX_AGE", 3600)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - max_age - 5):
        old_url = links.download_url(export)
    assert client.get(old_url).status_code == 404
    assert snapshot(export) == before


def test_expired_archive_404(client, ready_export, frozen_clock):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    url = links.download_url(export)
    frozen_clock.advance(timedelta(days=8))
    before = snapshot(export)
    assert client.get(url).status_code == 404
    assert snapshot(export) == before


def test_other_account_owner_404(client, ready_export):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[1]))
    before = snapshot(export)
    assert client.get(links.download_url(export)).status_code == 404
    assert snapshot(export) == before


def test_member_without_offboarding_right_404(client, ready_export):
    seeds, _, export = ready_export
    sign_in(client, member_of(seeds[0]))
    before = snapshot(export)
    assert client.get(links.download_url(export)).status_code == 404
    assert snapshot(export) == before


def test_stale_sign_in_sent_to_reauthenticate(client, ready_export, settings):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    settings.OFFBOARDING = {**settings.OFFBOARDING, "REAUTHENTICATION_MAX_AGE": 0}
    before = snapshot(export)
    url = links.download_url(export)
    response = client.get(url)
    assert response.status_code == 302
    assert "next=" in response["Location"]
    assert snapshot(export) == before


def test_anonymous_sent_to_login(client, ready_export):
    _, _, export = ready_export
    before = snapshot(export)
    response = client.get(links.download_url(export))
    assert response.status_code == 302
    assert snapshot(export) == before


def test_request_view_creates_one_export(
    client, demo_accounts, django_capture_on_commit_callbacks
):
    seeds, _ = demo_accounts
    sign_in(client, owner_of(seeds[0]))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("offboarding:export-request"), {"formats": ["csv", "json"]})
        again = client.post(reverse("offboarding:export-request"), {"formats": ["csv"]})
    assert response.status_code == 302
    assert again.status_code == 302
    exports = DataExport.objects.for_account(str(seeds[0].organisation_id))
    assert exports.count() == 1
    assert exports.get().formats == ["csv", "json"]


def test_request_view_rejects_unknown_format(client, demo_accounts):
    seeds, _ = demo_accounts
    sign_in(client, owner_of(seeds[0]))
    response = client.post(reverse("offboarding:export-request"), {"formats": ["pdf"]})
    assert response.status_code == 302
    assert not DataExport.objects.exists()


def test_request_view_member_404(client, demo_accounts):
    seeds, _ = demo_accounts
    sign_in(client, member_of(seeds[0]))
    response = client.post(reverse("offboarding:export-request"), {"formats": ["csv"]})
    assert response.status_code == 404
    assert not DataExport.objects.exists()


def test_status_fragment_shows_download(client, ready_export):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    response = client.get(reverse("offboarding:export-status", args=[export.token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/offboarding/exports/download/" in html
    assert "<script" not in html


def test_status_fragment_other_account_404(client, ready_export):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[1]))
    response = client.get(reverse("offboarding:export-status", args=[export.token]))
    assert response.status_code == 404


def test_portal_status_page_shows_panel(client, ready_export):
    seeds, case, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    response = client.get(reverse("offboarding:status", args=[case.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Export your data" in html
    assert "/offboarding/exports/download/" in html


def test_download_redirects_to_storage_url(client, ready_export, settings):
    seeds, _, export = ready_export
    sign_in(client, owner_of(seeds[0]))
    settings.OFFBOARDING = {**settings.OFFBOARDING, "EXPORT_DOWNLOAD_REDIRECT": True}
    response = client.get(links.download_url(export))
    assert response.status_code == 302
    assert response["Location"].endswith(export.storage_name)
    export.refresh_from_db()
    assert export.first_downloaded_at is not None
