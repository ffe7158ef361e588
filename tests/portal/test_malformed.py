"""Malformed input to every portal form and token URL: no server error, no state change."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offboarding.models import AuditEvent, OffboardingCase
from offboarding.models.portal import OfferEvent, SurveyResponse

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Any short text (control characters included), very long values and near-misses.
junk = st.one_of(
    st.text(max_size=50),
    st.builds(
        lambda char, size: char * size, st.sampled_from("xé\u200b<"), st.integers(5001, 6000)
    ),
    st.sampled_from(["", "-1", "0x10", "1e9", "99999999999999999999", "None", "[]", "'; --"]),
)
not_a_when = junk.filter(lambda value: value not in ("end_of_period", "immediately"))
not_an_nps = junk.filter(lambda value: value.strip() not in {"", *map(str, range(11))})


def _snapshot():
    return (
        list(
            OffboardingCase.objects.order_by("pk").values_list(
                "state", "boundary_at", "retention_ends_at", "closed_at"
            )
        ),
        AuditEvent.objects.count(),
        OfferEvent.objects.exclude(action="shown").count(),
        SurveyResponse.objects.count(),
    )


@pytest.fixture
def requested_case(client, customer, reasons, pause_offer, vault_offer):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    return OffboardingCase.objects.get()


@FUZZ
@given(when=not_a_when, reason=junk)
def test_cancel_form(client, customer, reasons, when, reason):
    client.force_login(customer)
    before = _snapshot()
    response = client.post(reverse("offboarding:cancel"), {"when": when, "reason": reason})
    assert response.status_code == 400
    assert _snapshot() == before


@FUZZ
@given(offer=junk, days=junk, plan=junk)
def test_offer_accept_form(client, requested_case, offer, days, plan):
    before = _snapshot()
    response = client.post(
        reverse("offboarding:offer-accept", args=[requested_case.public_id]),
        {"offer": offer, "days": days, "plan": plan},
    )
    assert response.status_code < 500
    assert _snapshot() == before


@FUZZ
@given(when=not_a_when)
def test_continue_cancelling_form(client, requested_case, when):
    before = _snapshot()
    response = client.post(
        reverse("offboarding:offer-decline", args=[requested_case.public_id]), {"when": when}
    )
    assert response.status_code < 500
    assert _snapshot() == before


@FUZZ
@given(reason=junk, comment=junk, nps=not_an_nps, extra=junk)
def test_survey_form(client, customer, reasons, reason, comment, nps, extra):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = OffboardingCase.objects.get()
    before = _snapshot()
    response = client.post(
        reverse("offboarding:survey", args=[case.public_id]),
        {"reason": reason, "comment": comment, "nps": nps, "question_1": extra},
    )
    assert response.status_code == 400
    assert _snapshot() == before


@FUZZ
@given(confirm=st.sampled_from(["", "false", "False"]), other=junk)
def test_withdrawal_and_delete_forms(client, customer, reasons, settings, confirm, other):
    settings.OFFBOARDING = {"CLOCK": "database", "ADAPTER": "tests.portal.adapters.EuAdapter"}
    client.force_login(customer)
    before = _snapshot()
    response = client.post(
        reverse("offboarding:contract-withdrawal"), {"confirm": confirm, "other": other}
    )
    assert response.status_code < 500
    assert _snapshot() == before


@FUZZ
@given(token=st.text(min_size=1, max_size=300))
def test_token_urls(client, requested_case, token):
    before = _snapshot()
    quoted = quote(token, safe="")
    for suffix in ("", "offers/", "survey/", "confirmation/", "delete-data/"):
        assert client.get(f"/offboarding/c/{quoted}/{suffix}").status_code == 404
    for suffix in (
        "withdraw/",
        "resume/",
        "vault/",
        "leave-vault/",
        "reactivate/",
        "offers/accept/",
        "offers/decline/",
        "delete-data/",
    ):
        assert (
            client.post(f"/offboarding/c/{quoted}/{suffix}", {"when": "immediately"}).status_code
            == 404
        )
    assert _snapshot() == before


@FUZZ
@given(next_url=junk)
def test_reauthenticate_next(client, customer, next_url):
    client.force_login(customer)
    response = client.get(reverse("offboarding:reauthenticate"), {"next": next_url})
    assert response.status_code == 200
