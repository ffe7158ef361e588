"""The built-in local ledger: plans, subscriptions anchored on their first period, charges
and payments. Hosts that bill elsewhere replace it with their own billing backend."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from offboarding.billing.periods import MONTH, YEAR
from offboarding.invoices import tax_categories


class Plan(models.Model):
    class Interval(models.TextChoices):
        MONTH = MONTH, _("month")
        YEAR = YEAR, _("year")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    amount = models.DecimalField(_("price per period"), max_digits=14, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code."))
    interval = models.CharField(_("interval"), max_length=8, choices=Interval.choices)
    trial_days = models.PositiveIntegerField(_("trial days"), default=0)
    tax_rate = models.DecimalField(
        _("tax rate"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Percent included on top of the net price, e.g. 19.00."),
    )
    tax_category = models.CharField(
        _("VAT category"),
        max_length=2,
        blank=True,
        default="",
        choices=tax_categories.CHOICES,
        help_text=_("Blank: standard rated when the tax rate is above 0, zero rated otherwise."),
    )
    tax_exemption_reason = models.CharField(
        _("VAT exemption reason"),
        max_length=200,
        blank=True,
        default="",
        help_text=_(
            "Printed on the invoice, e.g. the legal basis of an exemption. Required for "
            '"Exempt from VAT" unless a reason code is given.'
        ),
    )
    tax_exemption_reason_code = models.CharField(
        _("VAT exemption reason code"),
        max_length=30,
        blank=True,
        default="",
        help_text=_("A VATEX code, e.g. VATEX-EU-132-1I."),
    )
    is_free = models.BooleanField(_("free tier"), default=False)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="offboarding_plan_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        try:
            tax_categories.line_tax(
                subject=gettext('plan "%(name)s"') % {"name": self.name},
                rate=self.tax_rate,
                category=self.tax_category,
                reason=self.tax_exemption_reason,
                reason_code=self.tax_exemption_reason_code,
            )
        except ValueError as error:
            raise ValidationError({"tax_category": str(error)}) from error


class LedgerSubscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CANCELED = "canceled", _("canceled")

    account_key = models.CharField(_("account"), max_length=64, db_index=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    anchor_at = models.DateTimeField(_("anchor"), help_text=_("Start of the first period."))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    cancel_at = models.DateTimeField(_("cancels at"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled"), null=True, blank=True)
    pause_starts_at = models.DateTimeField(_("pause starts"), null=True, blank=True)
    pause_ends_at = models.DateTimeField(_("pause ends"), null=True, blank=True)
    discount_percent = models.PositiveSmallIntegerField(_("discount percent"), default=0)
    discount_ends_at = models.DateTimeField(_("discount ends"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["account_key"],
                condition=models.Q(status="active"),
                name="offboarding_ledger_one_active_subscription",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__lte=100),
                name="offboarding_ledger_discount_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} ({self.account_key})"


class LedgerEntry(models.Model):
    """A charge, credit, payment or refund on a subscription; signs follow the customer's
    balance: charges are positive, credits and payments negative, refunds positive."""

    class Kind(models.TextChoices):
        PERIOD = "period", _("subscription period")
        USAGE = "usage", _("usage")
        PRORATION_CREDIT = "proration_credit", _("proration credit")
        DISCOUNT = "discount", _("discount")
        PAYMENT = "payment", _("payment")
        REFUND = "refund", _("refund")

    subscription = models.ForeignKey(
        LedgerSubscription, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=4)
    currency = models.CharField(_("currency"), max_length=3)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=2, default=0)
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("date"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["occurred_at", "pk"]
        constraints = [
            # One charge per period makes materialising periods safe to run twice.
            models.UniqueConstraint(
                fields=["subscription", "kind", "period_start"],
                condition=models.Q(kind__in=["period", "payment", "proration_credit", "refund"]),
                name="offboarding_ledger_one_entry_per_period_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"
