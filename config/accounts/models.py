"""Organisations, the customer accounts of the demo product, and their members."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from offboarding import clock


def validate_timezone_name(value: str) -> None:
    """Reject a value that is not an IANA time zone name known to this Python."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not an IANA time zone name, for example Europe/Berlin."),
            params={"value": value},
            code="invalid_timezone",
        )


class Jurisdiction(models.TextChoices):
    """Profiles whose cancellation rules the offboarding app applies."""

    DEFAULT = "default", _("Default")
    GERMANY = "de", _("Germany")
    CALIFORNIA = "california", _("California")
    EU = "eu", _("European Union")


# Languages of the demo product. Notices to an organisation go out in its language.
LANGUAGE_CHOICES = [("en", _("English")), ("de", _("German"))]


class Organisation(models.Model):
    """A customer company: the account that subscribes, and that offboarding closes."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Berlin",
        validators=[validate_timezone_name],
        help_text=_("IANA time zone name, for example Europe/Berlin or America/Los_Angeles."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=LANGUAGE_CHOICES, default="en"
    )
    jurisdiction = models.CharField(
        _("jurisdiction profile"),
        max_length=20,
        choices=Jurisdiction.choices,
        default=Jurisdiction.DEFAULT,
    )
    billing_email = models.EmailField(
        _("billing email"),
        blank=True,
        help_text=_("Receives invoices and notices. Empty means the owner's email address."),
    )
    billing_address = models.TextField(
        _("billing address"), blank=True, help_text=_("Postal address, one line per line.")
    )
    country_code = models.CharField(
        _("country code"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166-1 alpha-2, for example DE."),
    )
    vat_id = models.CharField(_("VAT ID"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(jurisdiction__in=Jurisdiction.values),
                name="accounts_organisation_jurisdiction_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zoneinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def owner_membership(self) -> Membership | None:
        return self.memberships.filter(role=Role.OWNER).select_related("user").first()


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


# Roles that may open the account settings and billing pages.
MANAGING_ROLES = (Role.OWNER, Role.ADMIN)


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user) -> MembershipQuerySet:
        return self.filter(user=user).select_related("organisation").order_by("created_at", "pk")


class Membership(models.Model):
    """A user's seat in an organisation, with the role that decides what they may do."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                name="accounts_membership_user_organisation_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(role="owner"),
                name="accounts_membership_one_owner_per_organisation",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="accounts_membership_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.organisation_id} as {self.role}"

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGING_ROLES
