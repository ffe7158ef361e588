"""Recent re-authentication through django-allauth, for password and social-only accounts."""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import RequestFactory
from django.urls import reverse

from offboarding import reauth

pytestmark = pytest.mark.django_db

SESSION_USER_KEY = "account_authentication_methods_user"


def _request_with_records(user, records):
    from allauth.account.internal.flows import login
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    request.session[login.AUTHENTICATION_METHODS_SESSION_KEY] = records
    request.session[login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    return request


def test_recent_social_sign_in_counts(django_user_model, settings):
    settings.OFFBOARDING = {"REAUTHENTICATION_MAX_AGE": 300}
    user = django_user_model.objects.create_user("sso", "sso@example.com")
    user.set_unusable_password()
    user.save()
    fresh = [{"method": "socialaccount", "at": time.time() - 10, "provider": "openid_connect"}]
    stale = [{"method": "socialaccount", "at": time.time() - 301, "provider": "openid_connect"}]
    assert reauth.has_recent_reauthentication(_request_with_records(user, fresh))
    assert not reauth.has_recent_reauthentication(_request_with_records(user, stale))
    assert not reauth.has_recent_reauthentication(_request_with_records(user, []))


def test_password_user_goes_to_allauth_reauthenticate(django_user_model):
    user = django_user_model.objects.create_user("pw", "pw@example.com", "secret-pw")
    request = _request_with_records(user, [])
    url = reauth.reauthentication_url(request, "/offboarding/c/x/delete-data/")
    assert url.startswith(reverse("account_reauthenticate") + "?next=")


def test_social_only_user_with_email_gets_a_code(django_user_model, client):
    user = django_user_model.objects.create_user("sso", "sso@example.com")
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    request = _request_with_records(user, [])
    url = reauth.reauthentication_url(request, "/offboarding/")
    assert url.startswith(reverse("account_request_reauthentication_code"))


def test_social_only_user_without_email_gets_provider_page(django_user_model, client):
    user = django_user_model.objects.create_user("sso", "")
    user.set_unusable_password()
    user.save()
    SocialAccount.objects.create(user=user, provider="demo-idp", uid="abc")
    request = _request_with_records(user, [])
    url = reauth.reauthentication_url(request, "/offboarding/")
    assert url.startswith(reverse("offboarding:reauthenticate"))

    client.force_login(user)
    page = client.get(url).content.decode()
    assert "Sign in again with Demo SSO" in page
    assert "process=login" in page
    assert "next=%2Foffboarding%2F" in page


def test_reauthenticate_page_refuses_foreign_next(django_user_model, client):
    user = django_user_model.objects.create_user("sso", "")
    client.force_login(user)
    page = client.get(reverse("offboarding:reauthenticate"), {"next": "https://example.invalid/"})
    assert b"example.invalid" not in page.content


def test_social_only_owner_reauthenticates_by_code(client, customer, reasons, mailoutbox):
    customer.set_unusable_password()
    customer.save()
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "immediately"})
    from offboarding.models import OffboardingCase

    case = OffboardingCase.objects.get()
    url = reverse("offboarding:delete-data", args=[case.public_id])

    to_code = client.get(url)
    assert to_code["Location"].startswith(reverse("account_request_reauthentication_code"))
    request_page = client.get(to_code["Location"])
    assert request_page.status_code == 200
    confirm = client.post(to_code["Location"], {"recipient": customer.email})
    assert confirm.status_code == 302
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mailoutbox[-1].body, re.MULTILINE).group(1)
    back = client.post(confirm["Location"], {"code": code})
    assert back.status_code == 302
    assert back["Location"] == url
    assert client.get(url).status_code == 200
