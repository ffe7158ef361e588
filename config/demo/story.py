"""The fixed demo story: three customer organisations on the local ledger, and an admin.

Every step looks up what it would create first, so running the setup again changes
nothing, even after the story has moved on (a cancelled subscription is not restarted).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

from config.accounts.models import Jurisdiction, Membership, Organisation, Role
from config.api.models import ApiKey
from config.demo.generate import AccountSeed, DemoDataGenerator, FastRandom, plan_rows
from config.demo.writers import get_writer
from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import LedgerSubscription, Plan, SaveOffer

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - published demo credentials
SUPERUSER_EMAIL = "admin@example.com"
# A user in two organisations, to show the organisation switcher.
CONSULTANT_EMAIL = "consultant@example.com"
# Enough for three projects and three attachment files per organisation.
ROWS_PER_ORGANISATION = 600

PLANS = [
    # code, name, amount, currency, interval, tax rate in percent, VAT category. The
    # German seller sells the JPY plan to customers outside the EU, a service outside the
    # scope of German VAT ("O"); blank means standard rated.
    ("team-monthly", "Team (monthly)", Decimal("30.00"), "EUR", "month", Decimal("19.00"), ""),
    ("team-yearly", "Team (yearly)", Decimal("300.00"), "EUR", "year", Decimal("19.00"), ""),
    (
        "starter-monthly",
        "Starter (monthly)",
        Decimal("12.00"),
        "EUR",
        "month",
        Decimal("19.00"),
        "",
    ),
    ("starter-jpy", "Starter (JPY)", Decimal("3000"), "JPY", "month", Decimal("0.00"), "O"),
]


@dataclass(frozen=True)
class StoryOrganisation:
    slug: str
    name: str
    timezone: str
    language: str
    jurisdiction: str
    country_code: str
    billing_address: str
    vat_id: str
    plan_code: str
    # The subscription started this many days before the clock's now.
    anchor_days_ago: int
    seed: int


ORGANISATIONS = [
    StoryOrganisation(
        slug="northwind",
        name="Northwind",
        timezone="Europe/Berlin",
        # Notices, the final invoice and the deletion certificate are in German.
        language="de",
        jurisdiction=Jurisdiction.GERMANY,
        country_code="DE",
        billing_address="Northwind Handels GmbH\nSchillerstraße 5\n80336 München\nGermany",
        vat_id="DE987654321",
        plan_code="team-monthly",
        anchor_days_ago=3,
        seed=101,
    ),
    StoryOrganisation(
        slug="globex",
        name="Globex",
        timezone="America/Los_Angeles",
        language="en",
        jurisdiction=Jurisdiction.CALIFORNIA,
        country_code="US",
        billing_address="Globex Corporation\n400 Market Street\nSan Francisco, CA 94105\nUSA",
        vat_id="",
        plan_code="team-yearly",
        anchor_days_ago=12,
        seed=102,
    ),
    StoryOrganisation(
        slug="initech",
        name="Initech",
        timezone="UTC",
        language="en",
        jurisdiction=Jurisdiction.DEFAULT,
        country_code="JP",
        billing_address="Initech K.K.\n1-2-3 Shibuya\nTokyo 150-0002\nJapan",
        vat_id="",
        plan_code="starter-jpy",
        anchor_days_ago=5,
        seed=103,
    ),
]


@dataclass
class SetupReport:
    """Parts of the story that one run created; empty lists and zeros on a second run."""

    users: list[tuple[str, str]] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    api_keys: list[tuple[str, str]] = field(default_factory=list)
    rows: int = 0


def run_setup() -> SetupReport:
    """Create whatever part of the demo story is missing, in one transaction."""
    report = SetupReport()
    with transaction.atomic():
        _ensure_plans(report)
        _ensure_offers()
        _ensure_superuser(report)
        for story in ORGANISATIONS:
            organisation = _ensure_organisation(story, report)
            _ensure_members(story, organisation, report)
            _ensure_subscription(story, organisation, report)
            _ensure_rows(story, organisation, report)
            _ensure_api_key(story, organisation, report)
        _ensure_consultant(report)
    logger.info(
        "Demo setup created %s users, %s organisations, %s rows",
        len(report.users),
        len(report.organisations),
        report.rows,
    )
    return report


def story_users() -> list[tuple[str, str]]:
    """Return every demo login as (email, what it is), in a stable order."""
    logins = [(SUPERUSER_EMAIL, "superuser, Django admin")]
    for story in ORGANISATIONS:
        for role in Role:
            logins.append((member_email(story.slug, role), f"{role.value} of {story.name}"))
    logins.append((CONSULTANT_EMAIL, "member of Northwind and Globex"))
    return logins


def member_email(slug: str, role: str) -> str:
    return f"{slug}-{role}@example.com"


def _ensure_plans(report: SetupReport) -> None:
    for code, name, amount, currency, interval, tax_rate, tax_category in PLANS:
        _plan, created = Plan.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "amount": amount,
                "currency": currency,
                "interval": interval,
                "tax_rate": tax_rate,
                "tax_category": tax_category,
            },
        )
        if created:
            report.plans.append(code)


def _ensure_offers() -> None:
    """Show every kind of save offer in the demo: the app's defaults (pause, vault) and,
    because the local ledger supports them, a discount and a downgrade."""
    SaveOffer.install_defaults()
    if not SaveOffer.objects.filter(kind=SaveOffer.Kind.DISCOUNT).exists():
        SaveOffer.objects.create(
            kind=SaveOffer.Kind.DISCOUNT,
            discount_percent=20,
            discount_months=3,
            order=30,
            reason_codes=["too_expensive"],
        )
    if not SaveOffer.objects.filter(kind=SaveOffer.Kind.DOWNGRADE).exists():
        SaveOffer.objects.create(kind=SaveOffer.Kind.DOWNGRADE, order=40)


def _ensure_user(email: str, report: SetupReport, **flags: bool):
    user_model = get_user_model()
    user = user_model._default_manager.filter(email__iexact=email).first()
    if user is None:
        user = user_model._default_manager.create_user(
            username=email, email=email, password=DEMO_PASSWORD, **flags
        )
        report.users.append((email, DEMO_PASSWORD))
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _ensure_superuser(report: SetupReport) -> None:
    _ensure_user(SUPERUSER_EMAIL, report, is_staff=True, is_superuser=True)


def _ensure_organisation(story: StoryOrganisation, report: SetupReport) -> Organisation:
    organisation, created = Organisation.objects.get_or_create(
        slug=story.slug,
        defaults={
            "name": story.name,
            "timezone": story.timezone,
            "language": story.language,
            "jurisdiction": story.jurisdiction,
            "country_code": story.country_code,
            "billing_address": story.billing_address,
            "vat_id": story.vat_id,
        },
    )
    if created:
        report.organisations.append(story.name)
    return organisation


def _ensure_members(
    story: StoryOrganisation, organisation: Organisation, report: SetupReport
) -> None:
    for role in Role:
        user = _ensure_user(member_email(story.slug, role), report)
        Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )


def _ensure_consultant(report: SetupReport) -> None:
    consultant = _ensure_user(CONSULTANT_EMAIL, report)
    for organisation in Organisation.objects.filter(slug__in=["northwind", "globex"]):
        Membership.objects.get_or_create(
            user=consultant, organisation=organisation, defaults={"role": Role.MEMBER}
        )


def _ensure_subscription(
    story: StoryOrganisation, organisation: Organisation, report: SetupReport
) -> None:
    account_key = get_adapter().get_account_key(organisation)
    # Any subscription, active or not, means the story already started for this account.
    if LedgerSubscription.objects.filter(account_key=account_key).exists():
        return
    anchor_at = clock.now() - timedelta(days=story.anchor_days_ago)
    LocalLedgerBackend().subscribe(account_key, story.plan_code, anchor_at)
    report.subscriptions.append(f"{story.name}: {story.plan_code}")


def _ensure_rows(
    story: StoryOrganisation, organisation: Organisation, report: SetupReport
) -> None:
    if organisation.projects.exists():
        return
    user_ids = tuple(organisation.memberships.order_by("pk").values_list("user_id", flat=True))
    generator = DemoDataGenerator(get_writer(), FastRandom(story.seed), clock.now())
    seed = AccountSeed(organisation_id=organisation.pk, user_ids=user_ids)
    report.rows += generator.fill_accounts([seed], plan_rows(ROWS_PER_ORGANISATION)).total


def _ensure_api_key(
    story: StoryOrganisation, organisation: Organisation, report: SetupReport
) -> None:
    if organisation.api_keys.exists():
        return
    owner = organisation.owner_membership().user
    issued = ApiKey.objects.issue(organisation, owner, "CI pipeline")
    report.api_keys.append((story.name, issued.plaintext))
