"""Every portal page: a constant number of queries, and markup a strict CSP allows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from offboarding.models import Actor, OffboardingCase
from offboarding.models.portal import SaveOffer, SurveyQuestion
from offboarding.services import lifecycle
from tests.portal.conftest import after_period

pytestmark = pytest.mark.django_db


def _pages(case: OffboardingCase) -> dict[str, str]:
    return {
        "cancel": reverse("offboarding:cancel"),
        "status": reverse("offboarding:status", args=[case.public_id]),
        "survey": reverse("offboarding:survey", args=[case.public_id]),
        "receipt": reverse("offboarding:receipt", args=[case.public_id]),
    }


def _scheduled_case(client, user):
    client.force_login(user)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = OffboardingCase.objects.open().get(account_key=str(user.pk))
    if case.state == "requested":
        client.post(
            reverse("offboarding:offer-decline", args=[case.public_id]), {"when": "end_of_period"}
        )
    return OffboardingCase.objects.get(pk=case.pk)


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 302), url
    return len(queries)


def _grow(user, count: int) -> None:
    """Add offers, survey questions and closed earlier cases: data the pages must not loop over."""
    for index in range(count):
        SaveOffer.objects.create(kind=SaveOffer.Kind.VAULT, order=10 + index)
        SaveOffer.objects.create(kind=SaveOffer.Kind.PAUSE, order=10 + index, active=False)
        SurveyQuestion.objects.create(text=f"Question {index}")


def test_query_counts_do_not_grow(
    client, make_customer, reasons, pause_offer, django_assert_num_queries
):
    small_user, large_user = make_customer("small"), make_customer("large")
    small_case = _scheduled_case(client, small_user)
    client.force_login(small_user)
    small = {name: _count_queries(client, url) for name, url in _pages(small_case).items()}

    _grow(large_user, 15)
    for _ in range(3):  # earlier, closed cases of the same account
        case = _scheduled_case(client, large_user)
        lifecycle.withdraw(case, actor=Actor.customer(large_user))
    large_case = _scheduled_case(client, large_user)
    client.force_login(large_user)
    for name, url in _pages(large_case).items():
        with django_assert_num_queries(small[name]):
            client.get(url)


def test_offers_page_queries_do_not_grow(
    client, make_customer, reasons, pause_offer, django_assert_num_queries
):
    counts = []
    for name, extra in (("few", 0), ("many", 12)):
        user = make_customer(name)
        for index in range(extra):
            SaveOffer.objects.create(kind=SaveOffer.Kind.VAULT, order=20 + index)
        client.force_login(user)
        client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
        case = OffboardingCase.objects.get(account_key=str(user.pk))
        url = reverse("offboarding:offers", args=[case.public_id])
        client.get(url)  # the first view writes the "shown" events
        counts.append(_count_queries(client, url))
        SaveOffer.objects.filter(order__gte=20).delete()
    assert counts[0] == counts[1]


def test_ended_status_queries(client, make_customer, reasons, clock_now):
    users = [make_customer("one"), make_customer("two")]
    cases = [_scheduled_case(client, user) for user in users]
    _grow(users[1], 10)
    clock_now.advance(after_period())
    for case in cases:
        lifecycle.reach_boundary(case)
    measured = []
    for user, case in zip(users, cases, strict=True):
        client.force_login(user)
        measured.append(
            _count_queries(client, reverse("offboarding:status", args=[case.public_id]))
        )
    assert measured[0] == measured[1]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _assert_csp_clean(html: str, name: str) -> None:
    assert not INLINE_SCRIPT.search(html), f"inline <script> on {name}"
    assert not INLINE_STYLE.search(html), f"style= attribute on {name}"
    assert not INLINE_HANDLER.search(html), f"inline event handler on {name}"
    assert "<style" not in html.lower(), f"<style> element on {name}"


def test_pages_need_no_inline_script_or_style(
    client, make_customer, reasons, pause_offer, vault_offer, clock_now
):
    SurveyQuestion.objects.create(text="Which tool next?", kind="choice", choices=["A", "B"])
    user = make_customer("csp")
    client.force_login(user)
    cancel_page = client.get(reverse("offboarding:cancel"))
    assert cancel_page.status_code == 200, cancel_page.get("Location")
    html = {"cancel_start": cancel_page.content.decode()}
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = OffboardingCase.objects.get()
    html["offers"] = client.get(
        reverse("offboarding:offers", args=[case.public_id])
    ).content.decode()
    client.post(
        reverse("offboarding:offer-decline", args=[case.public_id]), {"when": "end_of_period"}
    )
    for name, url in _pages(case).items():
        if name != "cancel":  # the cancel page now redirects to the status page
            html[name] = client.get(url).content.decode()
    html["reauthenticate"] = client.get(reverse("offboarding:reauthenticate")).content.decode()

    clock_now.advance(after_period() + timedelta(minutes=1))
    lifecycle.reach_boundary(case)
    html["status_ended"] = client.get(
        reverse("offboarding:status", args=[case.public_id])
    ).content.decode()
    for name, page in html.items():
        assert page, name
        _assert_csp_clean(page, name)
