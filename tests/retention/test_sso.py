"""Single sign-on through the demo's OpenID Connect provider, over real HTTP.

The browser is a ``requests`` session against ``live_server``. It goes through
django-allauth's ``openid_connect`` login, then the identity provider's login page and
authorization endpoint (django-oauth-toolkit), and back to allauth's callback. The
callback exchanges the code, checks the ID token's signature and logs the member in.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
import requests
from oauth2_provider.models import get_application_model

from config.sso import idp
from offboarding.models import RevocationRecord
from tests.retention.conftest import BOUNDARY, JUST_BEFORE, PASSWORD, run_due

pytestmark = pytest.mark.django_db(transaction=True)

CALLBACK = f"/accounts/oidc/{idp.PROVIDER_ID}/login/callback/"


@pytest.fixture(scope="session")
def signing_key():
    return idp.generate_private_key()


@pytest.fixture
def identity_provider(live_server, settings, signing_key, tmp_path):
    settings.OAUTH2_PROVIDER = {
        **idp.provider_settings(tmp_path),
        "OIDC_RSA_PRIVATE_KEY": signing_key,
    }
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"APPS": [idp.allauth_app(f"{live_server.url}/o")]}
    }
    application_model = get_application_model()
    application_model.objects.create(
        client_id=idp.CLIENT_ID,
        client_secret=idp.CLIENT_SECRET,
        name="Acme Projects",
        client_type=application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
        algorithm=application_model.RS256_ALGORITHM,
        skip_authorization=True,
        redirect_uris=f"{live_server.url}{CALLBACK}",
    )
    return live_server.url


def csrf_token(session: requests.Session, html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else session.cookies["csrftoken"]


def sso_login(base_url: str, user) -> requests.Response:
    """Log ``user`` in through the IdP like a browser; return the final response."""
    session = requests.Session()
    start = f"{base_url}/accounts/oidc/{idp.PROVIDER_ID}/login/"
    page = session.get(start, timeout=10)
    page.raise_for_status()
    idp_page = session.post(
        start,
        data={"csrfmiddlewaretoken": csrf_token(session, page.text)},
        headers={"Referer": start},
        timeout=10,
    )
    assert urlparse(idp_page.url).path == "/o/login/", idp_page.url
    return session.post(
        idp_page.url,
        data={
            "csrfmiddlewaretoken": csrf_token(session, idp_page.text),
            "email": user.email,
            "password": PASSWORD,
            "next": re.search(r'name="next" value="([^"]*)"', idp_page.text)
            .group(1)
            .replace("&amp;", "&"),
        },
        headers={"Referer": idp_page.url},
        timeout=10,
    )


def test_sso_login_before_and_after_boundary(world, frozen_clock, identity_provider):
    northwind, contoso, case = world
    run_due(frozen_clock, JUST_BEFORE)

    before = sso_login(identity_provider, northwind.member)
    assert before.status_code == 200
    assert urlparse(before.url).path == "/app/"

    run_due(frozen_clock, BOUNDARY)
    after = sso_login(identity_provider, northwind.member)
    assert after.status_code == 403
    assert "Access ended" in after.text
    assert urlparse(after.url).path == CALLBACK

    record = RevocationRecord.objects.get(case=case, revoker="sso")
    assert record.detail["social_accounts_blocked"] == 1

    other = sso_login(identity_provider, contoso.member)
    assert other.status_code == 200
    assert urlparse(other.url).path == "/app/"


def test_owner_sso_reaches_only_portal(world, frozen_clock, identity_provider):
    northwind, _, case = world
    run_due(frozen_clock, BOUNDARY)

    response = sso_login(identity_provider, northwind.owner)
    assert response.status_code == 200
    assert urlparse(response.url).path == f"/offboarding/c/{case.public_id}/"
