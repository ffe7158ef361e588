"""Fixtures of the final invoice tests: file storage in a temporary folder, a JPY plan,
and a customer whose subscription is cancelled at once."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import Actor, Plan
from offboarding.services import lifecycle
from offboarding.steps import run_pending_steps
from tests.conftest import utc


@pytest.fixture
def invoice_settings(settings, tmp_path):
    """Default adapter (users are accounts), the database clock and files in tmp_path."""
    settings.OFFBOARDING = {"CLOCK": "database"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return settings


@pytest.fixture
def yen_plan(db):
    return Plan.objects.create(
        code="team-yen",
        name="Team (monthly, JPY)",
        amount=Decimal("3000"),
        currency="JPY",
        interval="month",
        tax_rate=Decimal("0"),
    )


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user("ann", "ann@example.com", "pw")


def cancel_immediately(frozen_clock, user, plan_code: str):
    """Subscribe on 2024-04-01, cancel at once on 2024-04-19 (12 of April's 30 days left)
    and run the boundary steps; return the case."""
    frozen_clock.at(utc(2024, 4, 1))
    LocalLedgerBackend().subscribe(str(user.pk), plan_code, utc(2024, 4, 1))
    frozen_clock.at(utc(2024, 4, 19))
    case = lifecycle.open_case(user, user)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(user), immediately=True)
    run_pending_steps(case_id=case.pk)
    case.refresh_from_db()
    return case


def pdf_pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
