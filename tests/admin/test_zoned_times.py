"""Times in the admin name their zone; the case page adds the account's local time."""

from __future__ import annotations

import re
import zoneinfo

import pytest
from django.urls import reverse

from offboarding.adapter import DefaultOffboardingAdapter
from offboarding.admin.cases import OffboardingCaseAdmin
from offboarding.admin.times import format_zoned
from offboarding.models import CaseState, DataExport
from tests.admin.factories import case_in_state
from tests.admin.test_case_admin import CHANGELIST, change_url
from tests.conftest import utc


class BerlinAdapter(DefaultOffboardingAdapter):
    """Users are accounts, and every account lives in Berlin."""

    def get_timezone(self, account):
        return zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def berlin_accounts(settings):
    settings.OFFBOARDING = {
        **settings.OFFBOARDING,
        "ADAPTER": "tests.admin.test_zoned_times.BerlinAdapter",
    }


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_format_zoned_names_both_zones():
    moment = utc(2024, 3, 31, 10)

    assert format_zoned(moment) == "March 31, 2024, 10 a.m. UTC"
    assert format_zoned(moment, zoneinfo.ZoneInfo("UTC")) == "March 31, 2024, 10 a.m. UTC"
    assert format_zoned(moment, zoneinfo.ZoneInfo("Europe/Berlin")) == (
        "March 31, 2024, 10 a.m. UTC (account: March 31, 2024, noon Europe/Berlin)"
    )
    assert format_zoned(None) == ""


def test_case_list_names_zone(client, success_user, scheduled_case, berlin_accounts):
    client.force_login(success_user)

    text = _text(client.get(reverse(CHANGELIST)).content.decode())

    # The boundary is 31 March 2024 10:00 UTC, and the list shows the server's zone only.
    assert "March 31, 2024, 10 a.m. UTC" in text
    assert "Europe/Berlin" not in text


def test_case_list_sorts_by_zoned_column(client, success_user):
    early = case_in_state(CaseState.SCHEDULED, requested_at=utc(2024, 3, 1))
    late = case_in_state(CaseState.SCHEDULED, requested_at=utc(2024, 3, 20))
    client.force_login(success_user)
    # The list's first column is the action checkbox, so the index is one further on.
    column = OffboardingCaseAdmin.list_display.index("boundary_at") + 1

    ascending = client.get(reverse(CHANGELIST), {"o": str(column)}).context["cl"].result_list
    descending = client.get(reverse(CHANGELIST), {"o": f"-{column}"}).context["cl"].result_list

    assert [case.pk for case in ascending] == [early.pk, late.pk]
    assert [case.pk for case in descending] == [late.pk, early.pk]


def test_case_page_shows_account_time(client, success_user, scheduled_case, berlin_accounts):
    client.force_login(success_user)

    text = _text(client.get(change_url(scheduled_case)).content.decode())

    boundary = "March 31, 2024, 10 a.m. UTC (account: March 31, 2024, noon Europe/Berlin)"
    assert boundary in text
    # The audit trail's times name both zones as well: confirmed on 5 March 12:00 UTC.
    assert "March 5, 2024, noon UTC (account: March 5, 2024, 1 p.m. Europe/Berlin)" in text


def test_case_page_same_zone_shows_once(client, success_user, scheduled_case):
    client.force_login(success_user)

    text = _text(client.get(change_url(scheduled_case)).content.decode())

    assert "March 31, 2024, 10 a.m. UTC" in text
    assert "account:" not in text


def test_export_page_names_zone(client, admin_user, scheduled_case):
    export = DataExport.objects.create(
        account_key=scheduled_case.account_key,
        case=scheduled_case,
        formats=["csv"],
        requested_at=utc(2024, 3, 6, 15, 30),
    )
    client.force_login(admin_user)

    listing = _text(
        client.get(reverse("admin:offboarding_dataexport_changelist")).content.decode()
    )
    page = _text(
        client.get(
            reverse("admin:offboarding_dataexport_change", args=[export.pk])
        ).content.decode()
    )

    assert "March 6, 2024, 3:30 p.m. UTC" in listing
    assert "March 6, 2024, 3:30 p.m. UTC" in page
    assert page.count("3:30 p.m.") == 1


def test_case_page_explains_zones(client, success_user, scheduled_case, berlin_accounts):
    client.force_login(success_user)

    text = _text(client.get(change_url(scheduled_case)).content.decode())

    assert (
        "Times are shown in UTC, each followed by the account's local time in Europe/Berlin"
        in text
    )
