"""A fresh sign-in through the demo's OpenID Connect provider counts as recent authentication.

Over real HTTP against ``live_server``: allauth's ``openid_connect`` login, the identity
provider's login page, the callback, then the portal's "delete my data now" step.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests
from allauth.account.models import EmailAddress
from django.urls import reverse

from config.accounts.models import Role
from config.sso import idp
from offboarding.models import Actor
from offboarding.services import lifecycle
from tests.portal.conftest import NOW
from tests.portal.demo import DEMO_OFFBOARDING, add_member, make_organisation
from tests.retention.test_sso import csrf_token, identity_provider, signing_key  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "owner-password-1"


@pytest.fixture
def ended_owner(settings, frozen_clock, monthly_plan, django_user_model):
    settings.OFFBOARDING = {**DEMO_OFFBOARDING, "REAUTHENTICATION_MAX_AGE": 300}
    frozen_clock.at(NOW)
    organisation = make_organisation("Fabrikam", monthly_plan.code)
    owner = django_user_model.objects.create_user("owner", "owner@example.com", PASSWORD)
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    add_member(organisation, owner, Role.OWNER)
    case = lifecycle.open_case(organisation, owner)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(owner), immediately=True)
    return owner, case


def sign_in_through_sso(base_url: str, user) -> requests.Session:
    """Sign ``user`` in through the identity provider like a browser; return the session."""
    session = requests.Session()
    start = f"{base_url}/accounts/oidc/{idp.PROVIDER_ID}/login/"
    page = session.get(start, timeout=10)
    idp_page = session.post(
        start,
        data={"csrfmiddlewaretoken": csrf_token(session, page.text)},
        headers={"Referer": start},
        timeout=10,
    )
    assert urlparse(idp_page.url).path == "/o/login/", idp_page.url
    next_url = re.search(r'name="next" value="([^"]*)"', idp_page.text).group(1)
    done = session.post(
        idp_page.url,
        data={
            "csrfmiddlewaretoken": csrf_token(session, idp_page.text),
            "email": user.email,
            "password": PASSWORD,
            "next": next_url.replace("&amp;", "&"),
        },
        headers={"Referer": idp_page.url},
        timeout=10,
    )
    assert done.status_code == 200
    return session


def test_sso_sign_in_counts_as_recent(ended_owner, identity_provider, settings):  # noqa: F811
    owner, case = ended_owner
    session = sign_in_through_sso(identity_provider, owner)
    url = identity_provider + reverse("offboarding:delete-data", args=[case.public_id])

    fresh = session.get(url, allow_redirects=False, timeout=10)
    assert fresh.status_code == 200
    assert "Delete my data now" in fresh.text

    settings.OFFBOARDING = {**DEMO_OFFBOARDING, "REAUTHENTICATION_MAX_AGE": 0}
    stale = session.get(url, allow_redirects=False, timeout=10)
    assert stale.status_code == 302
    assert stale.headers["Location"].startswith(reverse("account_reauthenticate"))
