"""The customer portal: cancel flow, save offers, exit survey, status page and reactivation.

Every page works without JavaScript (forms, POST, redirect, GET). A case is found by its
random ``public_id`` and shown only to a user the adapter allows (``can_offboard``).
Everyone else gets a 404, so a case's existence is not revealed. Cancelling never asks
for a password, while deleting data early asks for a recent re-authentication.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import storages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from offboarding import clock, offers
from offboarding.adapter import get_adapter
from offboarding.billing.base import BillingError, NoSubscription, SubscriptionInfo
from offboarding.conf import app_settings
from offboarding.formatting import format_datetime
from offboarding.forms import (
    END_OF_PERIOD,
    IMMEDIATELY,
    AcceptOfferForm,
    CancelForm,
    ConfirmForm,
    ContinueCancellingForm,
    SurveyForm,
    reason_choices,
)
from offboarding.jurisdictions import JurisdictionProfile, get_profile
from offboarding.models import Actor, CaseState, IllegalTransition, OffboardingCase
from offboarding.models.portal import SurveyQuestion, SurveyResponse
from offboarding.models.retention import DeletionCertificate
from offboarding.reauth import reauthentication_redirect, social_login_options
from offboarding.services import lifecycle
from offboarding.views.timeline import timeline_entries

logger = logging.getLogger(__name__)

S = CaseState

# States in which the cancellation has been confirmed and the receipt exists.
CONFIRMED_STATES = (S.SCHEDULED, S.ENDED, S.VAULTED, S.PURGED)

# Audit action of the customer's "delete my data now". From then on the portal offers
# neither reactivation nor the data vault, as the confirmation page states.
DELETION_REQUESTED = "retention_shortened"

# Case actions that would keep the data the customer asked to delete.
ACTIONS_THAT_KEEP_DATA = ("reactivate", "vault")


class CaseTokenConverter:
    """URL converter of a case's public id, which ``secrets.token_urlsafe`` makes."""

    regex = "[A-Za-z0-9_-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class PortalNotFound(Http404):
    """No account the user may offboard, or no such case: the portal renders its own 404."""


class NoWithdrawalPeriod(PortalNotFound):
    """The account is a business, outside its withdrawal period, or already cancelled."""


def _renders_not_found(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Render the portal's 404 page, with links home and to sign out, on :class:`PortalNotFound`.

    The page is the same for a missing case and for a case of another account, so it
    does not reveal whether a case exists.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except PortalNotFound as error:
            return _not_found(request, withdrawal=isinstance(error, NoWithdrawalPeriod))

    return wrapper


def _not_found(request: HttpRequest, *, withdrawal: bool) -> HttpResponse:
    logger.info("Portal page not found for user %s", getattr(request.user, "pk", None))
    context = {"withdrawal": withdrawal}
    return render(request, "offboarding/portal/no_subscription.html", context, status=404)


@dataclass
class Portal:
    """The account a request acts on, with what every portal page needs to know of it."""

    account: Any
    account_key: str
    profile: JurisdictionProfile
    tzinfo: Any


def _portal_for_account(request: HttpRequest, account: Any) -> Portal:
    adapter = get_adapter()
    if account is None or not adapter.can_offboard(request.user, account):
        raise PortalNotFound("No offboarding for this user.")
    return Portal(
        account=account,
        account_key=adapter.get_account_key(account),
        profile=get_profile(adapter.get_jurisdiction(account)),
        tzinfo=adapter.get_timezone(account),
    )


def _current_portal(request: HttpRequest) -> Portal:
    """Return the portal of the account the user acts for; 404 unless they may offboard it."""
    return _portal_for_account(request, get_adapter().get_account_for_user(request, request.user))


def _case_portal(request: HttpRequest, public_id: str) -> tuple[OffboardingCase, Portal]:
    """Return the case named in the URL and its portal; 404 for anyone the adapter refuses."""
    case = (
        OffboardingCase.objects.filter(public_id=public_id)
        .select_related("survey_response")
        .first()
    )
    if case is None:
        raise PortalNotFound("No such case.")
    return case, _portal_for_account(request, get_adapter().get_account(case.account_key))


def _render(request: HttpRequest, portal: Portal, template: str, context: dict) -> HttpResponse:
    # Dates show in the account's time zone; storage stays UTC.
    with timezone.override(portal.tzinfo):
        return render(request, template, {"portal": portal, "profile": portal.profile, **context})


def _status(case: OffboardingCase) -> HttpResponseRedirect:
    return redirect("offboarding:status", public_id=case.public_id)


def _actor(request: HttpRequest) -> Actor:
    return Actor.customer(request.user)


def _local_date(moment: datetime | None, portal: Portal) -> str:
    if moment is None:
        return ""
    return format_datetime(moment, portal.tzinfo)


def _subscription(portal: Portal) -> SubscriptionInfo | None:
    try:
        return (
            get_adapter().get_billing_backend().get_subscription(portal.account_key, clock.now())
        )
    except NoSubscription:
        return None


def _retention_days(portal: Portal, plan_code: str) -> int:
    return get_adapter().get_retention_days(portal.account, plan_code)


def _data_deleted_on(case: OffboardingCase, portal: Portal) -> datetime | None:
    """Return when the data will be deleted: the retention end, or its projection."""
    if case.state == S.VAULTED or case.state == S.REACTIVATED:
        return None
    if case.retention_ends_at is not None:
        return case.retention_ends_at
    if case.boundary_at is not None and case.state == S.SCHEDULED:
        return case.boundary_at + timedelta(days=_retention_days(portal, case.plan_code))
    return None


def _withdrawal_deadline(portal: Portal) -> datetime | None:
    """Return the end of the withdrawal period if the account is still inside it.

    Only consumers have the right of withdrawal, so a business account gets None.
    """
    if not portal.profile.withdrawal_days:
        return None
    adapter = get_adapter()
    if not adapter.is_consumer(portal.account):
        return None
    started = adapter.get_contract_started_at(portal.account)
    if started is None:
        return None
    deadline = started + timedelta(days=portal.profile.withdrawal_days)
    return deadline if clock.now() < deadline else None


def _messages_ok(request: HttpRequest, text: str) -> None:
    messages.success(request, text, fail_silently=True)


def _messages_error(request: HttpRequest, text: str) -> None:
    messages.error(request, text, fail_silently=True)


# Landing page


@_renders_not_found
@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    """Send the user to the open case of their account, or to the start of the cancel flow."""
    portal_ = _current_portal(request)
    case = OffboardingCase.objects.open().for_account(portal_.account_key).first()
    if case is not None and case.state != S.REQUESTED:
        return _status(case)
    purged = _purged_case(portal_) if case is None else None
    if purged is not None:
        return _status(purged)
    return redirect("offboarding:cancel")


def _purged_case(portal: Portal) -> OffboardingCase | None:
    """Return the account's latest case if its data was deleted, else None.

    An account whose row the purge kept has nothing left to cancel or export, so its
    portal leads to that case's status page instead of the cancel flow.
    """
    latest = OffboardingCase.objects.for_account(portal.account_key).first()
    if latest is not None and latest.state == S.PURGED:
        return latest
    return None


# The cancel flow


def _cancel_context(portal: Portal, subscription: SubscriptionInfo | None) -> dict[str, Any]:
    if subscription is None:
        return {"subscription": None}
    retention_days = _retention_days(portal, subscription.plan_code)
    return {
        "subscription": subscription,
        "access_until": subscription.current_period_end,
        "retention_days": retention_days,
        "data_kept_until": subscription.current_period_end + timedelta(days=retention_days),
        "contact_emails": get_adapter().get_contact_emails(portal.account),
        "withdrawal_deadline": _withdrawal_deadline(portal),
        "allow_immediate": bool(app_settings.ALLOW_IMMEDIATE_CANCEL),
    }


@_renders_not_found
@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest) -> HttpResponse:
    """Show what cancelling means and when, and take the cancellation (or go to the offers)."""
    portal_ = _current_portal(request)
    open_case = OffboardingCase.objects.open().for_account(portal_.account_key).first()
    if open_case is not None and open_case.state not in (S.REQUESTED,) and not open_case.is_paused:
        return _status(open_case)

    subscription = _subscription(portal_)
    if open_case is None and subscription is None:
        purged = _purged_case(portal_)
        if purged is not None:
            return _status(purged)
    ask_reason = portal_.profile.asks_reason_before_offers and not (
        open_case and open_case.is_paused
    )
    with timezone.override(portal_.tzinfo):
        period_end = _local_date(subscription.current_period_end, portal_) if subscription else ""
    form = CancelForm(
        request.POST or None,
        period_end_label=period_end,
        ask_reason=ask_reason,
        reasons=reason_choices() if ask_reason else None,
    )
    if request.method == "POST" and subscription is not None and form.is_valid():
        return _start_cancellation(request, portal_, form)
    if request.method == "POST":
        logger.warning("Cancel form rejected for user %s", request.user.pk)

    context = {"form": form, "case": open_case, **_cancel_context(portal_, subscription)}
    context["offers_may_follow"] = bool(
        subscription is not None
        and portal_.profile.offers_before_confirmation
        and not (open_case and open_case.is_paused)
        and offers.offers_may_follow(portal_.account_key, subscription.plan_code)
    )
    status = 400 if request.method == "POST" else 200
    response = _render(request, portal_, "offboarding/portal/cancel.html", context)
    response.status_code = status
    return response


def _start_cancellation(request: HttpRequest, portal: Portal, form: CancelForm) -> HttpResponse:
    case = lifecycle.open_case(portal.account, request.user, actor=_actor(request))
    reason = form.cleaned_data.get("reason") or ""
    if reason:
        _save_reason(case, reason)
    when = IMMEDIATELY if form.immediately else END_OF_PERIOD

    if case.state == S.REQUESTED and portal.profile.offers_before_confirmation:
        choices = offers.eligible_offers(case)
        if choices:
            return redirect(f"{reverse('offboarding:offers', args=[case.public_id])}?when={when}")
    return _confirm(request, case, portal, immediately=form.immediately)


def _save_reason(case: OffboardingCase, reason: str) -> None:
    SurveyResponse.objects.update_or_create(
        case=case, defaults={"reason_code": reason, "skipped": False, "answered_at": clock.now()}
    )


def _confirm(
    request: HttpRequest,
    case: OffboardingCase,
    portal: Portal,
    *,
    immediately: bool,
    withdrawal: bool = False,
) -> HttpResponse:
    """Confirm the cancellation once: a repeated or concurrent submit lands on the same result.

    The confirmation email is queued in the transaction of the confirmation, so neither
    commits without the other. The outbox queues one message per case and key.
    """
    try:
        with transaction.atomic():
            if case.state not in CONFIRMED_STATES:
                case = lifecycle.confirm_cancellation(
                    case,
                    actor=_actor(request),
                    immediately=immediately,
                    reason="withdrawal" if withdrawal else "",
                )
            _queue_confirmation(case, portal, withdrawal=withdrawal)
    except (IllegalTransition, BillingError) as error:
        case.refresh_from_db()
        if case.state not in CONFIRMED_STATES:
            logger.warning("Case %s: confirmation rejected: %s", case.public_id, error)
            _messages_error(
                request, _("The cancellation could not be confirmed. Please try again.")
            )
            return _status(case)
        # A concurrent request confirmed the case first and queued the same email.
        _queue_confirmation(case, portal, withdrawal=withdrawal)
    if withdrawal:
        return redirect("offboarding:receipt", public_id=case.public_id)
    return redirect("offboarding:survey", public_id=case.public_id)


def _queue_confirmation(case: OffboardingCase, portal: Portal, *, withdrawal: bool) -> None:
    """Queue the durable confirmation email; the outbox sends one per case and key."""
    from offboarding.notices.api import queue_notice

    key = "withdrawal_acknowledgement" if withdrawal else "cancellation_confirmation"
    context = {
        "kind": "withdrawal" if withdrawal else "cancellation",
        "confirmed_at": case.confirmed_at,
        "boundary_at": case.boundary_at,
        "immediate": case.immediate,
        "plan_name": case.plan_name,
        "public_id": case.public_id,
        "receipt_path": reverse("offboarding:receipt", args=[case.public_id]),
        "data_deleted_on": _data_deleted_on(case, portal),
    }
    # The cancellation uses the cadence's own template, so the cadence sees it was sent
    # and does not queue a second confirmation.
    template = "withdrawal_acknowledgement" if withdrawal else "cancellation_confirmed"
    queue_notice(case, key, template, context)


# Offers


@_renders_not_found
@login_required
@require_GET
def offer_list(request: HttpRequest, public_id: str) -> HttpResponse:
    """Show the offers that fit, each with "continue cancelling" beside it."""
    case, portal_ = _case_portal(request, public_id)
    choices = offers.eligible_offers(case)
    before = case.state == S.REQUESTED
    if not choices:
        return redirect("offboarding:cancel") if before else _status(case)

    offers.record_shown(case, choices)
    form = ContinueCancellingForm(request.GET)
    when = form.cleaned_data["when"] if form.is_valid() else END_OF_PERIOD
    context = {"case": case, "choices": choices, "before_confirmation": before, "when": when}
    return _render(request, portal_, "offboarding/portal/offers.html", context)


@_renders_not_found
@login_required
@require_POST
def offer_accept(request: HttpRequest, public_id: str) -> HttpResponse:
    case, portal_ = _case_portal(request, public_id)
    form = AcceptOfferForm(request.POST)
    if not form.is_valid():
        logger.warning("Offer acceptance rejected for case %s: invalid form", case.public_id)
        _messages_error(request, _("That offer could not be read. Please pick it again."))
        return _status(case)

    choice = next(
        (c for c in offers.eligible_offers(case) if c.offer.pk == form.cleaned_data["offer"]), None
    )
    if choice is None:
        logger.warning(
            "Case %s: offer %s is not on offer", case.public_id, form.cleaned_data["offer"]
        )
        _messages_error(request, _("That offer is no longer available."))
        return _status(case)
    try:
        case = offers.accept(
            case,
            choice,
            actor=_actor(request),
            days=form.cleaned_data.get("days"),
            plan_code=form.cleaned_data.get("plan") or "",
        )
    except (ValueError, IllegalTransition, BillingError) as error:
        logger.warning("Case %s: offer %s rejected: %s", case.public_id, choice.offer.pk, error)
        _messages_error(request, _("That offer could not be applied. Nothing was changed."))
        return _status(case)
    _messages_ok(request, _("Done: your offer is in place."))
    return _status(case)


@_renders_not_found
@login_required
@require_POST
def offer_decline(request: HttpRequest, public_id: str) -> HttpResponse:
    """Decline every offer shown; before the confirmation this also confirms the cancellation.

    After the confirmation the flow goes on to the survey unless it was answered or
    skipped, and ends on the status page.
    """
    case, portal_ = _case_portal(request, public_id)
    form = ContinueCancellingForm(request.POST)
    if case.state == S.REQUESTED and not form.is_valid():
        logger.warning("Continue-cancelling form rejected for case %s", case.public_id)
        _messages_error(request, _("Choose when the subscription should end."))
        return redirect("offboarding:cancel")

    offers.record_declined(case)
    if case.state == S.REQUESTED:
        immediately = form.is_valid() and form.cleaned_data["when"] == IMMEDIATELY
        return _confirm(request, case, portal_, immediately=immediately)
    if (
        case.state in CONFIRMED_STATES
        and case.state != S.PURGED
        and not _has_survey_response(case)
    ):
        return redirect("offboarding:survey", public_id=case.public_id)
    return _status(case)


# Survey and receipt


@_renders_not_found
@login_required
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, public_id: str) -> HttpResponse:
    """Ask why the customer left. Every field is optional, and skipping is one button."""
    case, portal_ = _case_portal(request, public_id)
    if case.state not in CONFIRMED_STATES or case.state == S.PURGED:
        return _status(case)
    existing = case.survey_response if _has_survey_response(case) else None
    questions = list(SurveyQuestion.objects.filter(active=True).order_by("order", "pk"))
    initial = {"reason": existing.reason_code} if existing else {}
    form = SurveyForm(request.POST or None, initial=initial, questions=questions)

    if request.method == "POST" and "skip" in request.POST:
        if existing is None:
            SurveyResponse.objects.get_or_create(
                case=case, defaults={"skipped": True, "answered_at": clock.now()}
            )
        return _after_survey(case, portal_)
    if request.method == "POST" and form.is_valid():
        _save_survey(case, form)
        _messages_ok(request, _("Thank you for your answers."))
        return _after_survey(case, portal_)
    if request.method == "POST":
        logger.warning("Survey form rejected for case %s", case.public_id)

    context = {"case": case, "form": form, "data_deleted_on": _data_deleted_on(case, portal_)}
    response = _render(request, portal_, "offboarding/portal/survey.html", context)
    response.status_code = 400 if request.method == "POST" else 200
    return response


def _save_survey(case: OffboardingCase, form: SurveyForm) -> None:
    SurveyResponse.objects.update_or_create(
        case=case,
        defaults={
            "reason_code": form.cleaned_data.get("reason") or "",
            "comment": form.cleaned_data.get("comment") or "",
            "nps": form.cleaned_data.get("nps"),
            "answers": form.answers(),
            "skipped": False,
            "answered_at": clock.now(),
        },
    )
    logger.info("Case %s: survey answered", case.public_id)


def _after_survey(case: OffboardingCase, portal: Portal) -> HttpResponse:
    # Where offers may only follow the cancellation, they are shown now, as a way back,
    # unless the customer already accepted or declined them, because declining leads here.
    if (
        not portal.profile.offers_before_confirmation
        and not offers.answered(case)
        and offers.eligible_offers(case)
    ):
        return redirect("offboarding:offers", public_id=case.public_id)
    return _status(case)


@_renders_not_found
@login_required
@require_GET
def receipt(request: HttpRequest, public_id: str) -> HttpResponse:
    """Render the printable confirmation: date and time, contract and end date."""
    case, portal_ = _case_portal(request, public_id)
    if case.confirmed_at is None:
        raise Http404("The cancellation is not confirmed.")
    context = {
        "case": case,
        "contact_emails": get_adapter().get_contact_emails(portal_.account),
        "data_deleted_on": _data_deleted_on(case, portal_),
        "withdrawal": case.events.filter(action="confirm_cancel", reason="withdrawal").exists(),
    }
    return _render(request, portal_, "offboarding/portal/receipt.html", context)


# Status page and its actions


@_renders_not_found
@login_required
@require_GET
def status(request: HttpRequest, public_id: str) -> HttpResponse:
    """Render the case's timeline and what the customer can do next."""
    case, portal_ = _case_portal(request, public_id)
    now = clock.now()
    deletion_requested = _deletion_requested(case)
    data_deleted_on = _data_deleted_on(case, portal_)
    context = {
        "case": case,
        "data_deleted_on": data_deleted_on,
        "timeline": timeline_entries(case, data_deleted_on),
        # The product is open again, so the page leads back to it.
        "access_restored": case.state in (S.REACTIVATED, S.WITHDRAWN, S.SAVED),
        "can_withdraw": case.state == S.SCHEDULED
        and case.boundary_at is not None
        and case.boundary_at > now,
        "can_resume": case.is_paused,
        "can_vault": not case.transition_refusal("enter_vault", now)
        and case.state != S.REQUESTED
        and not deletion_requested,
        "can_leave_vault": case.state == S.VAULTED,
        "can_reactivate": not case.transition_refusal("reactivate", now)
        and not deletion_requested,
        "can_delete_now": _can_delete_now(case, now),
        "can_continue": case.state == S.REQUESTED,
        # A survey answer given after the purge would store new data of a deleted account.
        "can_survey": case.state in CONFIRMED_STATES
        and case.state != S.PURGED
        and not _has_survey_response(case),
        "withdrawal_deadline": _withdrawal_deadline(portal_) if case.is_open else None,
        "certificate": _deletion_certificate(case),
    }
    return _render(request, portal_, "offboarding/portal/status.html", context)


def _deletion_certificate(case: OffboardingCase) -> DeletionCertificate | None:
    """Return the case's deletion certificate once its PDF is written, else None."""
    if case.state != S.PURGED:
        return None
    return DeletionCertificate.objects.filter(case=case).exclude(pdf_name="").first()


@_renders_not_found
@login_required
@require_GET
@never_cache
def certificate_download(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """Send the deletion certificate's PDF to a user who may see the case; 404 otherwise."""
    case, _portal = _case_portal(request, public_id)
    certificate = _deletion_certificate(case)
    storage = storages[app_settings.STORAGE_ALIAS]
    if certificate is None or not storage.exists(certificate.pdf_name):
        logger.warning("Case %s: no deletion certificate PDF to download", case.public_id)
        raise Http404("No deletion certificate.")
    return FileResponse(
        storage.open(certificate.pdf_name, "rb"),
        as_attachment=True,
        filename="deletion-certificate.pdf",
        content_type="application/pdf",
    )


def _deletion_requested(case: OffboardingCase) -> bool:
    return case.events.filter(action=DELETION_REQUESTED).exists()


def _has_survey_response(case: OffboardingCase) -> bool:
    try:
        return case.survey_response is not None
    except SurveyResponse.DoesNotExist:
        return False


def _can_delete_now(case: OffboardingCase, now: datetime | None = None) -> bool:
    return (
        case.state == S.ENDED
        and not case.legal_hold
        and case.purge_started_at is None
        and case.retention_ends_at is not None
        and case.retention_ends_at > (now or clock.now())
    )


def _case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    case, portal_ = _case_portal(request, public_id)
    actor = _actor(request)
    workflows = {
        "withdraw": (
            lambda: lifecycle.withdraw(case, actor=actor),
            _("Your cancellation is undone. Nothing changes for your account."),
        ),
        "resume": (
            lambda: lifecycle.end_pause(case, actor=actor),
            _("Your pause has ended and your subscription is active again."),
        ),
        "vault": (
            lambda: lifecycle.enter_vault(case, actor=actor),
            _("Your data is now in the free, read-only data vault."),
        ),
        "leave_vault": (
            lambda: lifecycle.leave_vault(case, actor=actor),
            _("You left the data vault. The retention window has started."),
        ),
        "reactivate": (
            lambda: lifecycle.reactivate(case, actor=actor),
            _("Welcome back: your account is active again."),
        ),
    }
    workflow, done = workflows[action]
    try:
        with transaction.atomic():
            # The lock orders this action after a concurrent "delete my data now".
            locked = OffboardingCase.objects.select_for_update().get(pk=case.pk)
            if action in ACTIONS_THAT_KEEP_DATA and _deletion_requested(locked):
                raise IllegalTransition(locked, action, "the customer asked for deletion")
            case = workflow()
    except (IllegalTransition, BillingError) as error:
        logger.warning("Case %s: %s rejected: %s", case.public_id, action, error)
        _messages_error(
            request, _("That is not possible for this case any more. Nothing was changed.")
        )
        return _status(case)
    _messages_ok(request, done)
    return _status(case)


@_renders_not_found
@login_required
@require_POST
def withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
    return _case_action(request, public_id, "withdraw")


@_renders_not_found
@login_required
@require_POST
def resume(request: HttpRequest, public_id: str) -> HttpResponse:
    return _case_action(request, public_id, "resume")


@_renders_not_found
@login_required
@require_POST
def vault(request: HttpRequest, public_id: str) -> HttpResponse:
    return _case_action(request, public_id, "vault")


@_renders_not_found
@login_required
@require_POST
def leave_vault(request: HttpRequest, public_id: str) -> HttpResponse:
    return _case_action(request, public_id, "leave_vault")


@_renders_not_found
@login_required
@require_POST
def reactivate(request: HttpRequest, public_id: str) -> HttpResponse:
    return _case_action(request, public_id, "reactivate")


@_renders_not_found
@login_required
@require_http_methods(["GET", "POST"])
def delete_data(request: HttpRequest, public_id: str) -> HttpResponse:
    """Ask the purge to run now: the retention window ends at once and the due work purges."""
    case, portal_ = _case_portal(request, public_id)
    if not _can_delete_now(case):
        return _status(case)
    reauthenticate = reauthentication_redirect(request)
    if reauthenticate is not None:
        return reauthenticate
    form = ConfirmForm(
        request.POST or None, label=_("I understand that my data is deleted for good.")
    )
    if request.method == "POST" and form.is_valid():
        now = clock.now()
        try:
            with transaction.atomic():
                locked = OffboardingCase.objects.select_for_update().get(pk=case.pk)
                if not _can_delete_now(locked) or locked.retention_ends_at is None:
                    raise IllegalTransition(
                        locked, "delete_now", "the purge can no longer be brought forward"
                    )
                locked.record(
                    "retention_shortened",
                    actor=_actor(request),
                    reason="The customer asked for their data to be deleted now.",
                    data={"from": locked.retention_ends_at.isoformat(), "to": now.isoformat()},
                    retention_ends_at=now,
                )
        except IllegalTransition as error:
            logger.warning("Case %s: delete now rejected: %s", case.public_id, error)
            _messages_error(
                request, _("Your data can no longer be deleted early. Nothing was changed.")
            )
            return _status(case)
        _messages_ok(request, _("Your data will be deleted within the next few minutes."))
        return _status(case)
    if request.method == "POST":
        logger.warning("Delete-now form rejected for case %s", case.public_id)
    return _render(
        request, portal_, "offboarding/portal/delete_data.html", {"case": case, "form": form}
    )


# Withdrawal (EU right of withdrawal, 14 days)


@_renders_not_found
@login_required
@require_http_methods(["GET", "POST"])
def contract_withdrawal(request: HttpRequest) -> HttpResponse:
    """Withdraw from the contract within the withdrawal period: confirm step, then receipt."""
    portal_ = _current_portal(request)
    deadline = _withdrawal_deadline(portal_)
    open_case = OffboardingCase.objects.open().for_account(portal_.account_key).first()
    if deadline is None or (open_case is not None and open_case.state in CONFIRMED_STATES):
        raise NoWithdrawalPeriod("No withdrawal period is running for this account.")

    form = ConfirmForm(request.POST or None, label=_("I want to withdraw from the contract."))
    if request.method == "POST" and form.is_valid():
        case = lifecycle.open_case(portal_.account, request.user, actor=_actor(request))
        # NOTE: the withdrawal ends the contract through an immediate cancellation, so with
        # ALLOW_IMMEDIATE_CANCEL off it is rejected and the customer gets an error message.
        logger.info("Case %s: withdrawal from contract", case.public_id)
        return _confirm(request, case, portal_, immediately=True, withdrawal=True)
    if request.method == "POST":
        logger.warning("Withdrawal form rejected for user %s", request.user.pk)
    context = {"form": form, "deadline": deadline, "subscription": _subscription(portal_)}
    return _render(request, portal_, "offboarding/portal/withdrawal.html", context)


# Re-authentication for accounts without an allauth re-authentication method


@login_required
@require_GET
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Offer a fresh sign-in through each connected social provider, then go back."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("offboarding:portal")
    context = {"providers": social_login_options(request, next_url), "next_url": next_url}
    return render(request, "offboarding/portal/reauthenticate.html", context)
