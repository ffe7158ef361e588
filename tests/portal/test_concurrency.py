"""Two real concurrent cancel requests against a live server open one case and one email."""

from __future__ import annotations

import re
import threading

import pytest
import requests
from django.test import Client
from django.urls import reverse

from offboarding.models import OffboardingCase
from offboarding.models.notices import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _signed_in_session(user, live_server) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    page = session.get(live_server.url + reverse("offboarding:cancel"), timeout=30)
    assert page.status_code == 200
    assert not page.history, "the cancel page redirected: the session was not accepted"
    session.headers["X-CSRFToken-Form"] = CSRF_INPUT.search(page.text).group(1)
    return session


def _post_together(session: requests.Session, url: str, data: dict, copies: int) -> list[int]:
    barrier = threading.Barrier(copies)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        response = session.post(url, data=data, allow_redirects=False, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_cancel_opens_one_case(live_server, make_customer, reasons, round_):
    user = make_customer(f"racer{round_}")
    session = _signed_in_session(user, live_server)
    data = {
        "when": "end_of_period",
        "csrfmiddlewaretoken": session.headers.pop("X-CSRFToken-Form"),
    }

    statuses = _post_together(session, live_server.url + reverse("offboarding:cancel"), data, 2)

    assert statuses == [302, 302]
    assert OffboardingCase.objects.filter(account_key=str(user.pk)).count() == 1
    case = OffboardingCase.objects.get(account_key=str(user.pk))
    assert case.state == "scheduled"
    assert OutboxMessage.objects.filter(case=case, key="cancellation_confirmation").count() == 1
    assert case.events.filter(action="confirm_cancel").count() == 1
