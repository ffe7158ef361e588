"""Save offers and the exit survey: what staff configure, and what each case was shown and answered."""

from __future__ import annotations

from typing import Any, Self

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from offboarding.conf import app_settings

# Stripe's cancellation feedback codes, in Stripe's order; installed by offboarding_setup.
STRIPE_REASONS = [
    ("too_expensive", _("It's too expensive")),
    ("missing_features", _("Some features are missing")),
    ("switched_service", _("I'm switching to a different service")),
    ("unused", _("I don't use the service enough")),
    ("customer_service", _("Customer service was less than expected")),
    ("too_complex", _("Ease of use was less than expected")),
    ("low_quality", _("Quality was less than expected")),
    ("other", _("Other reason")),
]

BUILTIN_LABELS = dict(STRIPE_REASONS)


def _untranslated(label: Any) -> str:
    with translation.override(None):
        return str(label)


# Stripe accepts a cancellation comment of up to 5,000 characters.
COMMENT_MAX_LENGTH = 5000


def _validate_code_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValidationError(
            _('Enter a list of codes, for example ["team-monthly"], or [] for all.'),
            code="invalid_code_list",
        )


class SaveOffer(models.Model):
    """An offer staff want shown to a customer who is about to leave."""

    class Kind(models.TextChoices):
        PAUSE = "pause", _("pause")
        VAULT = "vault", _("data vault")
        DISCOUNT = "discount", _("discount")
        DOWNGRADE = "downgrade", _("downgrade")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    headline = models.CharField(
        _("headline"),
        max_length=120,
        blank=True,
        help_text=_("Shown above the offer; empty uses the default text of its kind."),
    )
    pause_days = models.PositiveIntegerField(
        _("pause days"),
        null=True,
        blank=True,
        help_text=_("One length from the PAUSE_DAYS setting; empty offers every length."),
    )
    discount_percent = models.PositiveSmallIntegerField(
        _("discount percent"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    discount_months = models.PositiveSmallIntegerField(
        _("discount months"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
    )
    plan_codes = models.JSONField(
        _("plans"),
        default=list,
        blank=True,
        validators=[_validate_code_list],
        help_text=_("Plan codes the offer applies to, as a JSON list; empty applies to all."),
    )
    reason_codes = models.JSONField(
        _("reasons"),
        default=list,
        blank=True,
        validators=[_validate_code_list],
        help_text=_(
            "Survey reason codes the offer applies to, as a JSON list; empty applies to all. "
            "An offer limited to reasons is shown only once the customer has given one."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("save offer")
        verbose_name_plural = _("save offers")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="discount")
                | Q(discount_percent__gte=1, discount_percent__lte=100, discount_months__gte=1),
                name="offboarding_saveoffer_discount_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.headline or str(self.get_kind_display())

    @classmethod
    def install_defaults(cls: type[Self]) -> int:
        """Add a pause offer (every PAUSE_DAYS length) and the data vault offer when no
        offer exists at all; once staff have any offer, their set is left as it is."""
        if cls.objects.exists():
            return 0
        cls.objects.bulk_create(
            [cls(kind=cls.Kind.PAUSE, order=10), cls(kind=cls.Kind.VAULT, order=20)]
        )
        return 2

    def clean(self) -> None:
        if self.kind == self.Kind.DISCOUNT and not (
            self.discount_percent and self.discount_months
        ):
            raise ValidationError(_("A discount needs a percent and a number of months."))
        offered = app_settings.PAUSE_DAYS
        if self.kind == self.Kind.PAUSE and self.pause_days not in (None, *offered):
            raise ValidationError(
                {
                    "pause_days": _("Pause lengths on offer are %(days)s days.")
                    % {"days": ", ".join(str(day) for day in offered)}
                }
            )

    def pause_lengths(self) -> list[int]:
        if self.pause_days is not None:
            return [self.pause_days] if self.pause_days in app_settings.PAUSE_DAYS else []
        return list(app_settings.PAUSE_DAYS)

    def applies_to(self, plan_code: str, reason_code: str, *, any_reason: bool = False) -> bool:
        """Return whether this offer fits the plan and the reason given (``""`` if none)."""
        if self.plan_codes and plan_code not in self.plan_codes:
            return False
        return any_reason or not self.reason_codes or reason_code in self.reason_codes


class OfferEvent(models.Model):
    """One offer shown to, accepted by or declined by a case: the rows behind the save rate."""

    class Action(models.TextChoices):
        SHOWN = "shown", _("shown")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    case = models.ForeignKey(
        "offboarding.OffboardingCase", on_delete=models.CASCADE, related_name="offer_events"
    )
    offer = models.ForeignKey(
        SaveOffer, on_delete=models.SET_NULL, null=True, related_name="events"
    )
    # The kind is copied so the figures survive an offer that staff later delete.
    kind = models.CharField(_("kind"), max_length=16, choices=SaveOffer.Kind.choices)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("offer event")
        verbose_name_plural = _("offer events")
        ordering = ["case", "at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "offer", "action"], name="offboarding_offerevent_once"
            ),
        ]
        indexes = [models.Index(fields=["action", "at"], name="offboarding_offerevent_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.action}"


class SurveyReason(models.Model):
    """A reason a customer can pick in the exit survey."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("survey reason")
        verbose_name_plural = _("survey reasons")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def install_defaults(cls) -> int:
        """Add Stripe's reasons that are missing; staff edits to existing ones are kept."""
        created = 0
        for order, (code, label) in enumerate(STRIPE_REASONS):
            _reason, was_created = cls.objects.get_or_create(
                code=code, defaults={"label": _untranslated(label), "order": order * 10}
            )
            created += was_created
        return created

    @property
    def display_label(self) -> str:
        """Return the label, translated when it is still one of the built-in texts."""
        builtin = BUILTIN_LABELS.get(self.code)
        if builtin is not None and self.label == _untranslated(builtin):
            return str(builtin)
        return self.label


class SurveyQuestion(models.Model):
    """An extra question staff add to the exit survey; every answer is optional."""

    class Kind(models.TextChoices):
        TEXT = "text", _("free text")
        CHOICE = "choice", _("single choice")

    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For a single choice: the options as a JSON list of strings."),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        if self.kind == self.Kind.CHOICE:
            valid = (
                isinstance(self.choices, list)
                and len(self.choices) >= 2
                and all(isinstance(choice, str) and choice.strip() for choice in self.choices)
            )
            if not valid:
                raise ValidationError(
                    {
                        "choices": _(
                            "A single-choice question needs at least two options, as a JSON list of strings."
                        )
                    }
                )

    def choice_options(self) -> list[str]:
        if self.kind != self.Kind.CHOICE or not isinstance(self.choices, list):
            return []
        return [str(choice) for choice in self.choices]


class SurveyResponse(models.Model):
    """A case's exit survey: the reason, a comment, a score, or a recorded skip."""

    case = models.OneToOneField(
        "offboarding.OffboardingCase", on_delete=models.CASCADE, related_name="survey_response"
    )
    reason_code = models.CharField(_("reason"), max_length=40, blank=True)
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)
    nps = models.PositiveSmallIntegerField(
        _("likelihood to recommend (0-10)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    skipped = models.BooleanField(_("skipped"), default=False)
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-answered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="offboarding_survey_nps_range"
            ),
        ]

    def __str__(self) -> str:
        return self.reason_code or ("skipped" if self.skipped else "-")
