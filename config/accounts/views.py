"""Account pages for owners and admins: settings, billing, API keys; and the switcher."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.accounts import billing
from config.accounts.current import membership_required, switch_organisation
from config.accounts.forms import (
    ApiKeyCreateForm,
    OrganisationSettingsForm,
    SwitchOrganisationForm,
)
from config.api.models import ApiKey

logger = logging.getLogger(__name__)


@login_required
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    form = SwitchOrganisationForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose an organisation to switch to."))
    membership = switch_organisation(request, form.cleaned_data["organisation"])
    logger.info("User %s switched to organisation %s", request.user.pk, membership.organisation_id)

    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("workspace:dashboard")
    return redirect(next_url)


@membership_required(manage=True)
def account_settings(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = OrganisationSettingsForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        logger.info(
            "Organisation %s settings changed by user %s", organisation.pk, request.user.pk
        )
        messages.success(request, _("Settings saved."))
        return redirect("accounts:settings")

    members = organisation.memberships.select_related("user").order_by("role", "user__email")
    return render(request, "accounts/settings.html", {"form": form, "members": members})


@membership_required(manage=True)
def billing_overview(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    return render(
        request,
        "accounts/billing.html",
        {
            "subscription": billing.get_subscription_summary(organisation),
            "is_owner": request.membership.role == "owner",
        },
    )


@membership_required(manage=True)
def api_keys(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = ApiKeyCreateForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = ApiKey.objects.issue(organisation, request.user, form.cleaned_data["name"])
        form = ApiKeyCreateForm()

    keys = organisation.api_keys.select_related("created_by").order_by("-created_at", "-pk")
    # The plaintext goes into this one response only; the database keeps its digest.
    return render(
        request,
        "accounts/api_keys.html",
        {"form": form, "keys": keys, "issued": issued},
    )


@membership_required(manage=True)
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=key_id, organisation=request.organisation)
    if api_key.revoke():
        messages.success(request, _("The API key was revoked."))
    else:
        messages.info(request, _("The API key was already revoked."))
    return redirect("accounts:api-keys")
