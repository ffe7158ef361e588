"""The identity provider's own login page and its authorization endpoint."""

from __future__ import annotations

import logging

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from oauth2_provider.views import AuthorizationView

logger = logging.getLogger(__name__)

# Session key of the user signed in at the IdP; separate from the product's login.
IDP_SESSION_KEY = "demo_idp_user_id"


def idp_user(request: HttpRequest):
    user_id = request.session.get(IDP_SESSION_KEY)
    if user_id is None:
        return None
    return get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()


class IdPLoginForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


def idp_login(request: HttpRequest) -> HttpResponse:
    """Sign a user in at the IdP only, then return to the authorization request."""
    form = IdPLoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        user = (
            get_user_model()
            ._default_manager.filter(email__iexact=form.cleaned_data["email"], is_active=True)
            .first()
        )
        if user is not None and user.check_password(form.cleaned_data["password"]):
            request.session[IDP_SESSION_KEY] = user.pk
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = reverse("oauth2_provider:idp-login")
            return HttpResponseRedirect(next_url)
        logger.warning("IdP login rejected: wrong email or password")
        form.add_error(None, _("Wrong email or password."))
    return render(request, "sso/idp_login.html", {"form": form, "next": next_url})


class IdPAuthorizationView(AuthorizationView):
    """django-oauth-toolkit's authorization endpoint, acting for the IdP's signed-in user."""

    def dispatch(self, request, *args, **kwargs):
        request.user = idp_user(request) or AnonymousUser()
        return super().dispatch(request, *args, **kwargs)

    def get_login_url(self):
        return reverse("oauth2_provider:idp-login")
