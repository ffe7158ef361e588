"""The KPI dashboard page, its charts, its empty state and the survey CSV."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from offboarding.admin import charts
from offboarding.admin.dashboard import format_duration, spreadsheet_safe
from offboarding.admin.groups import ADMINISTRATORS, CUSTOMER_SUCCESS
from offboarding.models import CaseState, DataExport, OfferEvent, SurveyResponse
from tests.admin.factories import case_in_state
from tests.conftest import utc

DASHBOARD = "admin:offboarding_dashboard"
CSV = "admin:offboarding_dashboard_survey_csv"
MARCH = {"start": "2024-03-01", "end": "2024-03-31"}


@pytest.fixture
def march_data(db, frozen_clock):
    frozen_clock.at(utc(2024, 12, 1))
    answered = []
    for index, (nps, reason) in enumerate(
        [(10, "too_expensive"), (9, "unused"), (3, "too_expensive"), (None, "")]
    ):
        case = case_in_state(
            CaseState.ENDED,
            requested_at=utc(2024, 3, 1 + index),
            boundary_at=utc(2024, 3, 10),
            account_label=f"Account {index}",
        )
        answered.append(
            SurveyResponse.objects.create(
                case=case,
                nps=nps,
                reason_code=reason,
                answered_at=utc(2024, 3, 2 + index),
                comment='=HYPERLINK("http://example.invalid")' if index == 0 else "fine",
            )
        )
    OfferEvent.objects.create(
        case=answered[1].case, kind="pause", action="accepted", at=utc(2024, 3, 3)
    )
    DataExport.objects.create(
        account_key=answered[0].case.account_key,
        requested_at=utc(2024, 3, 5),
        ready_at=utc(2024, 3, 5, 0, 30),
        first_downloaded_at=utc(2024, 3, 5, 2),
    )
    return answered


def test_dashboard_figures(client, success_user, march_data):
    client.force_login(success_user)
    response = client.get(reverse(DASHBOARD), MARCH)
    assert response.status_code == 200
    panels = {panel.key: panel for panel in response.context["panels"]}
    # 2 promoters and 1 detractor of 3 answers: 100 / 3 = 33.3 -> 33.
    assert panels["nps"].headline == "33"
    assert panels["save"].headline == "25.0 %"
    assert panels["winback"].headline == "0.0 %"
    assert panels["cancellations"].headline == "4"
    assert panels["reasons"].headline == "3"
    assert panels["exports"].headline == "30 min"
    assert panels["deletions"].headline == "–"
    html = response.content.decode()
    assert html.count('<svg class="obd-svg') == len(panels)
    assert "No account purged in this period." in html


def test_dashboard_empty_period(client, success_user, march_data):
    client.force_login(success_user)
    response = client.get(reverse(DASHBOARD), {"start": "2030-01-01", "end": "2030-01-31"})
    assert response.status_code == 200
    panels = response.context["panels"]
    assert all(panel.chart.empty for panel in panels)
    html = response.content.decode()
    for message in (
        "No NPS answer in this period.",
        "No case ended in this period.",
        "No offer accepted in this period.",
        "No cancellation confirmed in this period.",
        "No reason given in this period.",
        "No export requested in this period.",
        "No account purged in this period.",
    ):
        assert message in html, message


def test_dashboard_has_no_inline_style_or_script(client, success_user, march_data):
    client.force_login(success_user)
    html = client.get(reverse(DASHBOARD), MARCH).content.decode()
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    assert "offboarding/admin.css" in html


def test_dashboard_rejects_bad_period(client, success_user, march_data):
    client.force_login(success_user)
    for query in (
        {"start": "2024-03-31", "end": "2024-03-01"},
        {"start": "yesterday", "end": "2024-03-01"},
        {"start": "2020-01-01", "end": "2024-03-01"},
    ):
        response = client.get(reverse(DASHBOARD), query)
        assert response.status_code == 200
        assert response.context["form"].errors, query
        assert "The default period is shown instead." in response.content.decode()
        # The default: the 90 days up to the clock's today.
        assert response.context["end"].isoformat() == "2024-12-01"


def test_dashboard_needs_view_permission(client, django_user_model, db):
    user = django_user_model.objects.create_user("plain", "p@example.com", "pw", is_staff=True)
    client.force_login(user)
    assert client.get(reverse(DASHBOARD)).status_code == 403
    assert client.get(reverse(CSV), MARCH).status_code == 403


def test_dashboard_query_count(client, success_user, march_data, django_assert_max_num_queries):
    client.force_login(success_user)
    client.get(reverse(DASHBOARD), MARCH)
    with django_assert_max_num_queries(25) as captured:
        client.get(reverse(DASHBOARD), MARCH)
    for index in range(30):
        case_in_state(
            CaseState.PURGED,
            requested_at=utc(2024, 2, 1),
            purged_at=utc(2024, 3, 9),
            purge_started_at=utc(2024, 3, 9),
            retention_ends_at=utc(2024, 3, 9) - timedelta(days=index % 2),
        )
    with django_assert_max_num_queries(len(captured.captured_queries)):
        client.get(reverse(DASHBOARD), MARCH)


def test_survey_csv_streams_answers(client, success_user, march_data):
    client.force_login(success_user)
    response = client.get(reverse(CSV), MARCH)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "survey-answers-2024-03-01-2024-03-31.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["case", "account_key", "account_label"]
    assert len(rows) == 5
    first = rows[1]
    assert first[0] == march_data[0].case.public_id
    assert first[3] == "2024-03-02T00:00:00+00:00"
    assert first[5:7] == ["too_expensive", "10"]
    assert first[7].startswith("'=HYPERLINK")
    assert rows[4][6] == ""  # no NPS answer


def test_survey_csv_rejects_bad_period(client, success_user, db):
    client.force_login(success_user)
    assert client.get(reverse(CSV), {"start": "2024-03-05"}).status_code == 400


def test_spreadsheet_safe():
    assert spreadsheet_safe("=1+1") == "'=1+1"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("plain") == "plain"
    assert spreadsheet_safe(7) == 7


def test_format_duration():
    assert format_duration(None) == "–"
    assert format_duration(timedelta(minutes=42)) == "42 min"
    assert format_duration(timedelta(seconds=40)) == "40 s"
    assert format_duration(timedelta(seconds=59, milliseconds=600)) == "1 min"
    assert format_duration(timedelta(hours=26, minutes=5)) == "26 h 05 min"


def test_chart_geometry_scaled_to_largest():
    chart = charts.horizontal_bars("t", [("a", 10, "10"), ("b", 5, "5")], empty_text="none")
    assert not chart.empty
    assert [shape.width for shape in chart.shapes] == ["260.0", "130.0"]


def test_chart_empty_when_all_zero():
    assert charts.columns("t", [("w1", 0), ("w2", 0)], empty_text="none").empty
    assert charts.stacked("t", [("a", 0, "good")], empty_text="none").empty
    assert charts.horizontal_bars("t", [], empty_text="none").empty


# Staff groups


def test_setup_installs_groups_idempotently(db):
    from django.contrib.auth.models import Group

    out = io.StringIO()
    call_command("offboarding_setup", stdout=out)
    call_command("offboarding_setup", stdout=out)
    assert Group.objects.filter(name__in=[CUSTOMER_SUCCESS, ADMINISTRATORS]).count() == 2
    assert "Staff group 'Customer success'" in out.getvalue()


def test_group_permissions(success_user, admin_user_in_group):
    for user in (success_user, admin_user_in_group):
        assert user.has_perm("offboarding.view_offboardingcase")
        assert user.has_perm("offboarding.view_auditevent")
        assert user.has_perm("offboarding.manage_retention")
        assert user.has_perm("offboarding.act_on_offboardingcase")
        assert not user.has_perm("offboarding.change_offboardingcase")
        assert not user.has_perm("offboarding.delete_auditevent")
    assert not success_user.has_perm("offboarding.purge_offboardingcase")
    assert not success_user.has_perm("offboarding.change_saveoffer")
    assert admin_user_in_group.has_perm("offboarding.purge_offboardingcase")
    for codename in (
        "change_saveoffer",
        "add_surveyquestion",
        "delete_surveyreason",
        "change_cadencestep",
    ):
        assert admin_user_in_group.has_perm(f"offboarding.{codename}"), codename
