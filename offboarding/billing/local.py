"""The local ledger billing backend: subscriptions and entries in the app's own tables.

Each period is charged and paid at its start. Periods are materialised on demand
(:meth:`LocalLedgerBackend.materialise`), which is safe to repeat, so no renewal job is
needed and a clock moved forward finds every period it skipped.

A downgrade or a pause ends the subscription at the end of its paid period and starts a
successor whose first period begins later: at that end for a downgrade, and the pause's
length after it for a pause. Until its anchor, the successor's current period is the
time from its creation to its anchor, which the earlier subscription paid for.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import models, transaction

from offboarding.billing import periods
from offboarding.billing.base import (
    BillingBackend,
    BillingError,
    ClosedItem,
    ClosingStatement,
    DowngradeOption,
    NoSubscription,
    StatementLine,
    StatementPayment,
    SubscriptionInfo,
)
from offboarding.models import LedgerEntry, LedgerSubscription, Plan
from offboarding.money import quantize

logger = logging.getLogger(__name__)

Kind = LedgerEntry.Kind


class LocalLedgerBackend(BillingBackend):
    supports_pause = True
    supports_discount = True
    supports_downgrade = True

    # Subscriptions

    def subscribe(
        self, account_key: str, plan_code: str, anchor_at: datetime, *, trial: bool = True
    ) -> LedgerSubscription:
        """Start a subscription anchored at ``anchor_at``; a second trial is never given."""
        plan = self._plan(plan_code)
        with transaction.atomic():
            existing = LedgerSubscription.objects.filter(
                account_key=account_key, status=LedgerSubscription.Status.ACTIVE
            ).first()
            if existing is not None:
                if existing.plan_id != plan.pk:
                    raise BillingError(
                        f"Account {account_key} already has an active subscription."
                    )
                return existing
            had_trial = LedgerSubscription.objects.filter(
                account_key=account_key, trial_ends_at__isnull=False
            ).exists()
            trial_ends_at = None
            if trial and plan.trial_days and not had_trial:
                trial_ends_at = anchor_at + timedelta(days=plan.trial_days)
            subscription = LedgerSubscription.objects.create(
                account_key=account_key,
                plan=plan,
                anchor_at=anchor_at,
                trial_ends_at=trial_ends_at,
                created_at=anchor_at,
            )
        logger.info("Ledger subscription %s started for account %s", subscription.pk, account_key)
        return subscription

    def materialise(self, subscription: LedgerSubscription, now: datetime) -> None:
        """Write the charge and payment of every period that has started by ``now``."""
        last_start = min(now, subscription.cancel_at or now)
        index = 0
        while True:
            current = periods.period(subscription.anchor_at, subscription.plan.interval, index)
            if current.start > last_start or (
                subscription.cancel_at is not None and current.start >= subscription.cancel_at
            ):
                break
            self._charge_period(subscription, current)
            index += 1

    def _charge_period(self, subscription: LedgerSubscription, current: periods.Period) -> None:
        plan = self._plan_for_period(subscription, current)
        in_trial = subscription.trial_ends_at and current.start < subscription.trial_ends_at
        paused = False
        if subscription.pause_starts_at is not None:
            if subscription.pause_ends_at is None:
                raise ValueError(
                    f"Ledger subscription {subscription.pk} has a pause start but no end."
                )
            paused = subscription.pause_starts_at <= current.start < subscription.pause_ends_at
        if in_trial or paused or plan.is_free:
            return

        amount = plan.amount
        if subscription.discount_percent and (
            subscription.discount_ends_at is None or current.start < subscription.discount_ends_at
        ):
            amount = amount * (100 - subscription.discount_percent) / 100
        amount = quantize(amount, plan.currency)
        # The invoice prints the period under the line, in the account's zone; UTC dates
        # here would disagree with it by a day for accounts east or west of UTC.
        description = plan.name
        for kind, signed in ((Kind.PERIOD, amount), (Kind.PAYMENT, -amount)):
            LedgerEntry.objects.get_or_create(
                subscription=subscription,
                kind=kind,
                period_start=current.start,
                defaults={
                    "description": description,
                    "amount": signed,
                    "currency": plan.currency,
                    "tax_rate": plan.tax_rate,
                    "period_end": current.end,
                    "occurred_at": current.start,
                },
            )

    def _plan_for_period(self, subscription: LedgerSubscription, current: periods.Period) -> Plan:
        return subscription.plan

    # BillingBackend

    def get_subscription(self, account_key: str, now: datetime) -> SubscriptionInfo:
        subscription = self._active(account_key)
        self.materialise(subscription, now)
        current = self._period_at(subscription, now)
        if current.index == -1:
            # A successor that has not started (after a pause or a downgrade): the
            # customer's period began with the paid period of the subscription it follows.
            predecessor = self._predecessor(subscription, now)
            if predecessor is not None:
                paid = self._period_at(predecessor, now)
                current = periods.Period(index=-1, start=paid.start, end=current.end)
        paused_until = (
            subscription.pause_ends_at
            if (subscription.pause_ends_at and subscription.pause_ends_at > now)
            else None
        )
        return SubscriptionInfo(
            reference=f"ledger-{subscription.pk}",
            plan_code=subscription.plan.code,
            plan_name=subscription.plan.name,
            amount=subscription.plan.amount,
            currency=subscription.plan.currency,
            interval=subscription.plan.interval,
            current_period_start=current.start,
            current_period_end=current.end,
            cancel_at=subscription.cancel_at,
            pause_ends_at=paused_until,
            is_trial=bool(subscription.trial_ends_at and now < subscription.trial_ends_at),
        )

    def cancel(self, account_key: str, *, immediately: bool, now: datetime) -> datetime:
        with transaction.atomic():
            subscription = self._active(account_key, lock=True)
            self.materialise(subscription, now)
            current = self._period_at(subscription, now)
            if not immediately:
                subscription.cancel_at = current.end
                subscription.save(update_fields=["cancel_at"])
                return current.end
            if now < subscription.anchor_at:
                self._end_predecessor_now(subscription, now)
            self._credit_unused_time(subscription, current, now)
            subscription.cancel_at = now
            subscription.save(update_fields=["cancel_at"])
        return now

    def _credit_unused_time(
        self, subscription: LedgerSubscription, current: periods.Period, now: datetime
    ) -> None:
        """Credit and refund the unused part of the paid current period, pro rata by time."""
        charge = LedgerEntry.objects.filter(
            subscription=subscription, kind=Kind.PERIOD, period_start=current.start
        ).first()
        if charge is None or charge.amount <= 0:
            return
        unused = (current.end - now) / (current.end - current.start)
        credit = quantize(charge.amount * Decimal(str(unused)), charge.currency)
        if credit <= 0:
            return
        description = f"Unused time, {now:%Y-%m-%d} to {current.end:%Y-%m-%d}"
        for kind, signed in ((Kind.PRORATION_CREDIT, -credit), (Kind.REFUND, credit)):
            LedgerEntry.objects.get_or_create(
                subscription=subscription,
                kind=kind,
                period_start=current.start,
                defaults={
                    "description": description,
                    "amount": signed,
                    "currency": charge.currency,
                    "tax_rate": charge.tax_rate,
                    "period_end": current.end,
                    "occurred_at": now,
                },
            )

    def close(self, account_key: str, now: datetime) -> None:
        """Mark a subscription whose boundary has passed as canceled (idempotent)."""
        LedgerSubscription.objects.filter(
            account_key=account_key,
            status=LedgerSubscription.Status.ACTIVE,
            cancel_at__lte=now,
        ).update(status=LedgerSubscription.Status.CANCELED, canceled_at=now)

    def closing_statement(self, account_key: str, now: datetime) -> ClosingStatement:
        """Collect the entries of the last period of the account's latest subscription.

        The last period is the one that contains the subscription's end (``cancel_at``),
        so a cancellation at period end shows that period and an immediate one shows the
        period it cut short, with its proration credit and refund.
        """
        # A successor cancelled before its anchor never started, so the last period is
        # the earlier subscription's.
        subscription = (
            LedgerSubscription.objects.select_related("plan")
            .filter(account_key=account_key)
            .exclude(cancel_at__lte=models.F("anchor_at"))
            .order_by("-created_at", "-pk")
            .first()
        )
        if subscription is None:
            raise NoSubscription(f"Account {account_key} never had a subscription.")
        self.materialise(subscription, now)

        ends_at = subscription.cancel_at or now
        last = self._period_at(subscription, ends_at - timedelta(microseconds=1))
        # Period charges, credits and their payments carry the period's start; usage,
        # discounts and one-off payments carry no period and count by their date.
        entries = list(
            LedgerEntry.objects.filter(subscription=subscription)
            .filter(
                models.Q(period_start=last.start)
                | models.Q(
                    period_start__isnull=True,
                    occurred_at__gte=last.start,
                    occurred_at__lte=ends_at,
                )
            )
            .order_by("occurred_at", "pk")
        )
        return self._statement(subscription, last, ends_at, entries)

    def _statement(
        self,
        subscription: LedgerSubscription,
        last: periods.Period,
        ends_at: datetime,
        entries: list[LedgerEntry],
    ) -> ClosingStatement:
        plan = subscription.plan
        lines: list[StatementLine] = []
        payments: list[StatementPayment] = []
        refunds: list[StatementPayment] = []
        for entry in entries:
            if entry.kind == Kind.PAYMENT:
                payments.append(
                    StatementPayment(entry.description, -entry.amount, entry.occurred_at)
                )
            elif entry.kind == Kind.REFUND:
                refunds.append(
                    StatementPayment(entry.description, entry.amount, entry.occurred_at)
                )
            else:
                lines.append(
                    StatementLine(
                        kind=entry.kind,
                        description=entry.description,
                        amount=entry.amount,
                        tax_rate=entry.tax_rate,
                        period_start=entry.period_start,
                        period_end=entry.period_end,
                        tax_category=plan.tax_category,
                        tax_exemption_reason=plan.tax_exemption_reason,
                        tax_exemption_reason_code=plan.tax_exemption_reason_code,
                    )
                )
        if not any(line.kind == Kind.PERIOD for line in lines):
            # A trial or paused last period is charged nothing, but the invoice still
            # names it, so every final invoice has at least one line.
            lines.insert(
                0,
                StatementLine(
                    kind=Kind.PERIOD,
                    amount=Decimal("0"),
                    tax_rate=plan.tax_rate,
                    description=f"{plan.name}, no charge",
                    period_start=last.start,
                    period_end=last.end,
                    tax_category=plan.tax_category,
                    tax_exemption_reason=plan.tax_exemption_reason,
                    tax_exemption_reason_code=plan.tax_exemption_reason_code,
                ),
            )
        return ClosingStatement(
            account_key=subscription.account_key,
            currency=plan.currency,
            lines=lines,
            payments=payments,
            refunds=refunds,
            closed_items=[ClosedItem(f"ledger-{subscription.pk}", plan.name, ends_at)],
            # Payments equal the charged amounts, so the ledger's amounts include the tax.
            prices_include_tax=True,
            period_start=last.start,
            period_end=last.end,
        )

    def undo_cancel(self, account_key: str, now: datetime) -> None:
        with transaction.atomic():
            subscription = self._active(account_key, lock=True)
            if subscription.cancel_at is not None and subscription.cancel_at <= now:
                raise BillingError("The subscription has already ended; reactivate instead.")
            subscription.cancel_at = None
            subscription.save(update_fields=["cancel_at"])

    def pause(self, account_key: str, *, until: datetime, now: datetime) -> None:
        """Pause billing from ``now`` to ``until``: the paid period ends that much later.

        The subscription ends with its current period, and a successor on the same plan
        starts the pause's length after that end, so a yearly plan is extended as a
        monthly one is. A repeated call for the same pause changes nothing.
        """
        with transaction.atomic():
            subscription = self._active(account_key, lock=True)
            if subscription.pause_ends_at == until:
                return
            self.materialise(subscription, now)
            current = self._period_at(subscription, now)
            length = until - now
            subscription.status = LedgerSubscription.Status.CANCELED
            subscription.cancel_at = current.end
            subscription.canceled_at = now
            subscription.save(update_fields=["status", "cancel_at", "canceled_at"])
            successor = LedgerSubscription.objects.create(
                account_key=account_key,
                plan=subscription.plan,
                anchor_at=current.end + length,
                # Shifted with the periods, so a trial or a discount covers the same periods.
                trial_ends_at=_shifted(subscription.trial_ends_at, length),
                discount_percent=subscription.discount_percent,
                discount_ends_at=_shifted(subscription.discount_ends_at, length),
                pause_starts_at=now,
                pause_ends_at=until,
                created_at=now,
            )
        logger.info(
            "Ledger subscription %s paused until %s; successor %s",
            subscription.pk,
            until.isoformat(),
            successor.pk,
        )

    def resume(self, account_key: str, now: datetime) -> None:
        """End a pause early: the successor starts earlier by the pause time not used."""
        with transaction.atomic():
            subscription = self._active(account_key, lock=True)
            if subscription.pause_ends_at and subscription.pause_ends_at > now:
                unused = subscription.pause_ends_at - now
                update_fields = ["pause_ends_at"]
                if subscription.anchor_at > now:
                    subscription.anchor_at -= unused
                    update_fields.append("anchor_at")
                subscription.pause_ends_at = now
                subscription.save(update_fields=update_fields)

    def apply_discount(
        self, account_key: str, *, percent: int, months: int, now: datetime
    ) -> None:
        if not 0 < percent <= 100 or months < 1:
            raise BillingError(f"Invalid discount: {percent}% for {months} months.")
        with transaction.atomic():
            subscription = self._active(account_key, lock=True)
            self.materialise(subscription, now)
            # Each period is paid at its start, so the discount covers the next periods,
            # as many as the months span: a yearly plan gets its next payment discounted.
            interval = subscription.plan.interval
            current = self._period_at(subscription, now)
            count = periods.periods_covering(months, interval)
            full_price = periods.period(
                subscription.anchor_at, interval, current.index + count + 1
            )
            subscription.discount_percent = percent
            subscription.discount_ends_at = full_price.start
            subscription.cancel_at = None
            subscription.save(update_fields=["discount_percent", "discount_ends_at", "cancel_at"])

    def downgrade_options(self, account_key: str, now: datetime) -> list[DowngradeOption]:
        subscription = self._active(account_key)
        cheaper = Plan.objects.filter(
            currency=subscription.plan.currency,
            interval=subscription.plan.interval,
            amount__lt=subscription.plan.amount,
            is_free=False,
        ).order_by("-amount")
        return [DowngradeOption(p.code, p.name, p.amount, p.currency, p.interval) for p in cheaper]

    def downgrade(self, account_key: str, *, plan_code: str, now: datetime) -> None:
        codes = {option.plan_code for option in self.downgrade_options(account_key, now)}
        if plan_code not in codes:
            raise BillingError(f"Plan {plan_code!r} is not a downgrade of the current plan.")
        with transaction.atomic():
            subscription = self._active(account_key, lock=True)
            self.materialise(subscription, now)
            # The rest of the paid period stays on the old plan; the anchor restarts at
            # its end on the cheaper plan, so every later period is charged at the new price.
            current = self._period_at(subscription, now)
            subscription.status = LedgerSubscription.Status.CANCELED
            subscription.cancel_at = current.end
            subscription.canceled_at = now
            subscription.save(update_fields=["status", "cancel_at", "canceled_at"])
            LedgerSubscription.objects.create(
                account_key=account_key,
                plan=self._plan(plan_code),
                anchor_at=current.end,
                created_at=now,
            )

    def reactivate(self, account_key: str, *, plan_code: str | None, now: datetime) -> None:
        with transaction.atomic():
            active = (
                LedgerSubscription.objects.select_for_update()
                .filter(account_key=account_key, status=LedgerSubscription.Status.ACTIVE)
                .first()
            )
            if active is not None:
                if active.cancel_at is not None and active.cancel_at <= now:
                    self.close(account_key, now)
                else:
                    active.cancel_at = None
                    active.save(update_fields=["cancel_at"])
                    return
            last = (
                LedgerSubscription.objects.filter(account_key=account_key)
                .order_by("-created_at", "-pk")
                .first()
            )
            code = plan_code or (last.plan.code if last else None)
            if code is None:
                raise NoSubscription(f"Account {account_key} never had a subscription.")
            self.subscribe(account_key, code, now)

    # Helpers

    def _period_at(self, subscription: LedgerSubscription, at: datetime) -> periods.Period:
        """Return the period of ``subscription`` that contains ``at``.

        Before the anchor of a successor (see the module's docstring), that is the time
        from its creation to its anchor, with index -1.
        """
        if subscription.created_at <= at < subscription.anchor_at:
            return periods.Period(
                index=-1, start=subscription.created_at, end=subscription.anchor_at
            )
        return periods.period_at(subscription.anchor_at, subscription.plan.interval, at)

    def _predecessor(
        self, successor: LedgerSubscription, now: datetime
    ) -> LedgerSubscription | None:
        """Return the ended subscription whose paid period ``successor`` follows, if any."""
        return (
            LedgerSubscription.objects.select_related("plan")
            .filter(
                account_key=successor.account_key,
                status=LedgerSubscription.Status.CANCELED,
                anchor_at__lte=now,
                created_at__lte=successor.created_at,
            )
            .exclude(pk=successor.pk)
            .order_by("-created_at", "-pk")
            .first()
        )

    def _end_predecessor_now(self, successor: LedgerSubscription, now: datetime) -> None:
        """End the subscription a not yet started successor follows, crediting unused time."""
        predecessor = (
            LedgerSubscription.objects.select_for_update()
            .select_related("plan")
            .filter(
                account_key=successor.account_key,
                status=LedgerSubscription.Status.CANCELED,
                cancel_at__gt=now,
            )
            .exclude(pk=successor.pk)
            .order_by("-created_at", "-pk")
            .first()
        )
        if predecessor is None:
            return
        current = self._period_at(predecessor, now)
        self._credit_unused_time(predecessor, current, now)
        predecessor.cancel_at = now
        predecessor.save(update_fields=["cancel_at"])

    def _plan(self, plan_code: str) -> Plan:
        try:
            return Plan.objects.get(code=plan_code)
        except Plan.DoesNotExist:
            raise BillingError(f"Unknown plan {plan_code!r}.") from None

    def _active(self, account_key: str, *, lock: bool = False) -> LedgerSubscription:
        queryset = LedgerSubscription.objects.select_related("plan")
        if lock:
            queryset = queryset.select_for_update(of=("self",))
        subscription = (
            queryset.filter(account_key=account_key, status=LedgerSubscription.Status.ACTIVE)
            .order_by("anchor_at")
            .first()
        )
        if subscription is None:
            raise NoSubscription(f"Account {account_key} has no active subscription.")
        return subscription


def _shifted(moment: datetime | None, by: timedelta) -> datetime | None:
    return moment + by if moment is not None else None
