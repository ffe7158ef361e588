"""Save offers: the ones that fit a case, and the record of each one shown, accepted or declined."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.billing import periods
from offboarding.billing.base import BillingError, DowngradeOption
from offboarding.conf import app_settings
from offboarding.models import Actor, AuditEvent, CaseState, OffboardingCase
from offboarding.models.portal import OfferEvent, SaveOffer, SurveyResponse
from offboarding.services import lifecycle

logger = logging.getLogger(__name__)

Kind = SaveOffer.Kind


@dataclass
class OfferChoice:
    """An offer as the portal shows it, with the options the customer can pick."""

    offer: SaveOffer
    pause_lengths: list[int] = field(default_factory=list)
    downgrades: list[DowngradeOption] = field(default_factory=list)
    # Billing interval of the subscription ("month", "year"), "" when unknown.
    interval: str = ""
    # Payments a discount offer covers on that interval; 0 when the interval is unknown.
    discount_periods: int = 0


def paused_recently(account_key: str) -> bool:
    """Return whether the account accepted a pause within ``PAUSE_COOLDOWN_DAYS``."""
    since = clock.now() - timedelta(days=int(app_settings.PAUSE_COOLDOWN_DAYS))
    return AuditEvent.objects.filter(
        case__account_key=account_key,
        action="accept_save",
        data__offer="pause",
        occurred_at__gte=since,
    ).exists()


def reason_of(case: OffboardingCase) -> str:
    return (
        SurveyResponse.objects.filter(case=case).values_list("reason_code", flat=True).first()
        or ""
    )


def eligible_offers(
    case: OffboardingCase, *, reason_code: str | None = None, any_reason: bool = False
) -> list[OfferChoice]:
    """Return the active offers that fit the case's plan, reason, billing and history.

    With ``any_reason`` an offer limited to reasons counts as fitting, so the result
    shows whether an offer might follow once the customer gives a reason.
    """
    context = _OfferContext(case, get_adapter().get_billing_backend())
    if not context.can_save and not context.can_vault:
        return []
    if any_reason:
        reason = ""
    elif reason_code is None:
        reason = reason_of(case)
    else:
        reason = reason_code
    choices = []
    for offer in SaveOffer.objects.filter(active=True).order_by("order", "pk"):
        if not offer.applies_to(case.plan_code, reason, any_reason=any_reason):
            continue
        choice = context.choice(offer)
        if choice is not None:
            choices.append(choice)
    return choices


class _OfferContext:
    """The facts that decide the offers of one case, each read from the database at most once."""

    def __init__(self, case: OffboardingCase, billing: Any) -> None:
        self.case = case
        self.billing = billing
        self._paused_recently: bool | None = None
        self._downgrades: list[DowngradeOption] | None = None
        self._interval: str | None = None
        now = clock.now()
        self.can_save = not case.transition_refusal("accept_save", now)
        self.can_vault = not case.transition_refusal("enter_vault", now)

    def paused_recently(self) -> bool:
        if self._paused_recently is None:
            self._paused_recently = paused_recently(self.case.account_key)
        return self._paused_recently

    def downgrades(self) -> list[DowngradeOption]:
        if self._downgrades is None:
            try:
                self._downgrades = self.billing.downgrade_options(
                    self.case.account_key, clock.now()
                )
            except BillingError:
                logger.warning(
                    "Downgrade options of case %s could not be read", self.case.public_id
                )
                self._downgrades = []
        return self._downgrades

    def interval(self) -> str:
        if self._interval is None:
            try:
                info = self.billing.get_subscription(self.case.account_key, clock.now())
                self._interval = info.interval
            except BillingError:
                logger.warning("Subscription of case %s could not be read", self.case.public_id)
                self._interval = ""
        return self._interval

    def discount_choice(self, offer: SaveOffer) -> OfferChoice:
        interval = self.interval()
        if interval not in periods.MONTHS_PER_INTERVAL or not offer.discount_months:
            return OfferChoice(offer)
        count = periods.periods_covering(offer.discount_months, interval)
        return OfferChoice(offer, interval=interval, discount_periods=count)

    def choice(self, offer: SaveOffer) -> OfferChoice | None:
        billing = self.billing
        if offer.kind == Kind.VAULT:
            return OfferChoice(offer) if self.can_vault else None
        if not self.can_save:
            return None
        if offer.kind == Kind.PAUSE:
            lengths = offer.pause_lengths()
            if not billing.supports_pause or not lengths or self.paused_recently():
                return None
            return OfferChoice(offer, pause_lengths=lengths)
        if offer.kind == Kind.DISCOUNT:
            return self.discount_choice(offer) if billing.supports_discount else None
        if offer.kind == Kind.DOWNGRADE and billing.supports_downgrade:
            options = self.downgrades()
            return OfferChoice(offer, downgrades=options) if options else None
        return None


def offers_may_follow(account_key: str, plan_code: str) -> bool:
    """Return whether a new case of this account could be shown an offer before confirming."""
    probe = OffboardingCase(
        account_key=account_key, plan_code=plan_code, state=CaseState.REQUESTED
    )
    return bool(eligible_offers(probe, any_reason=True))


def record(
    case: OffboardingCase, offer: SaveOffer, action: str, detail: dict | None = None
) -> None:
    """Write one offer event; the same action on the same offer is written once per case."""
    try:
        with transaction.atomic():
            OfferEvent.objects.get_or_create(
                case=case,
                offer=offer,
                action=action,
                defaults={"kind": offer.kind, "detail": detail or {}, "at": clock.now()},
            )
    except IntegrityError:
        # A concurrent request wrote the same event first.
        pass


def record_shown(case: OffboardingCase, choices: list[OfferChoice]) -> None:
    """Write a "shown" event per offer in one query; offers shown before are skipped."""
    now = clock.now()
    OfferEvent.objects.bulk_create(
        [
            OfferEvent(
                case=case,
                offer=choice.offer,
                kind=choice.offer.kind,
                action=OfferEvent.Action.SHOWN,
                at=now,
            )
            for choice in choices
        ],
        ignore_conflicts=True,
    )


def record_declined(case: OffboardingCase) -> int:
    """Mark every offer shown to the case and not accepted as declined; return how many."""
    shown = OfferEvent.objects.filter(case=case, action=OfferEvent.Action.SHOWN).select_related(
        "offer"
    )
    answered = set(
        OfferEvent.objects.filter(case=case)
        .exclude(action=OfferEvent.Action.SHOWN)
        .values_list("offer_id", flat=True)
    )
    declined = 0
    for event in shown:
        if event.offer is not None and event.offer_id not in answered:
            record(case, event.offer, OfferEvent.Action.DECLINED)
            declined += 1
    return declined


def answered(case: OffboardingCase) -> bool:
    """Return whether the customer accepted or declined any offer shown to the case."""
    return OfferEvent.objects.filter(case=case).exclude(action=OfferEvent.Action.SHOWN).exists()


def accept(
    case: OffboardingCase,
    choice: OfferChoice,
    *,
    actor: Actor,
    days: int | None = None,
    plan_code: str = "",
) -> OffboardingCase:
    """Apply an accepted offer through the lifecycle and record it; raise if it does not fit."""
    offer = choice.offer
    if offer.kind == Kind.PAUSE:
        if days not in choice.pause_lengths:
            raise ValueError(f"A pause of {days} days is not on offer.")
        case = lifecycle.accept_pause(case, days=days, actor=actor)
        detail: dict[str, Any] = {"days": days}
    elif offer.kind == Kind.VAULT:
        case = lifecycle.enter_vault(case, actor=actor)
        detail = {}
    elif offer.kind == Kind.DISCOUNT:
        if offer.discount_percent is None or offer.discount_months is None:
            raise ValueError(f"Discount offer {offer.pk} has no percent or no months.")
        case = lifecycle.accept_discount(
            case, percent=offer.discount_percent, months=offer.discount_months, actor=actor
        )
        detail = {"percent": offer.discount_percent, "months": offer.discount_months}
    else:
        if plan_code not in {option.plan_code for option in choice.downgrades}:
            raise ValueError(f"Plan {plan_code!r} is not a downgrade on offer.")
        case = lifecycle.accept_downgrade(case, plan_code=plan_code, actor=actor)
        detail = {"plan": plan_code}
    record(case, offer, OfferEvent.Action.ACCEPTED, detail)
    logger.info("Case %s accepted offer %s (%s)", case.public_id, offer.pk, offer.kind)
    return case
