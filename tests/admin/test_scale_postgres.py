"""The case list, a case page and the dashboard over 100,000 cases: query counts stay flat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse

from offboarding.models import OffboardingCase
from tests.admin.scale_data import add_history, analyze, create_cases

pytestmark = pytest.mark.postgres

CASES = 100_000
START = datetime(2023, 1, 1, tzinfo=UTC)
CHANGELIST = "admin:offboarding_offboardingcase_changelist"


@pytest.fixture(scope="module")
def scale_cases(django_db_setup, django_db_blocker):
    """100,000 committed cases for the whole module, removed again at its end."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    with django_db_blocker.unblock():
        ids = create_cases(CASES, START)
        busy = OffboardingCase.objects.get(pk=ids[len(ids) // 2])
        add_history(busy, 60)
        analyze()
        yield {"ids": ids, "busy": busy}
        with connection.cursor() as cursor:
            tables = [
                "offboarding_auditevent",
                "offboarding_surveyresponse",
                "offboarding_offerevent",
                "offboarding_dataexport",
                "offboarding_offboardingcase",
            ]
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


@pytest.fixture
def staff_client(client, success_user, scale_cases):
    client.force_login(success_user)
    return client


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state": "ended"},
        {"nps": "promoter"},
        {"reason": "unused"},
        {"legal_hold__exact": "1"},
        {"purge_date": "past"},
        {"q": "scale-4242"},
        {"q": "Scale account 77"},
        {"requested_at__year": "2023", "requested_at__month": "6"},
        {"o": "-4"},
    ],
)
def test_changelist_queries_flat(staff_client, django_assert_max_num_queries, query):
    staff_client.get(reverse(CHANGELIST), query)
    with django_assert_max_num_queries(13):
        response = staff_client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    assert response.context["cl"].result_list is not None


def test_changelist_shows_page_of_50(staff_client):
    response = staff_client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 50
    assert response.context["cl"].result_count == CASES


def test_change_page_queries_flat(staff_client, scale_cases, django_assert_max_num_queries):
    busy = scale_cases["busy"]
    url = reverse("admin:offboarding_offboardingcase_change", args=[busy.pk])
    staff_client.get(url)
    with django_assert_max_num_queries(25):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert len(response.context["sections"][0].rows) == 60


def test_dashboard_queries_flat(staff_client, django_assert_max_num_queries):
    url = reverse("admin:offboarding_dashboard")
    query = {"start": "2023-01-01", "end": "2023-12-31"}
    staff_client.get(url, query)
    with django_assert_max_num_queries(25):
        response = staff_client.get(url, query)
    panels = {panel.key: panel for panel in response.context["panels"]}
    assert panels["nps"].figures[0][1] > 10_000
    assert panels["cancellations"].chart.shapes
    assert dict(panels["exports"].figures)[next(iter(dict(panels["exports"].figures)))] > 0
