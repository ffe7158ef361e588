"""Fixtures of the export tests: demo organisations filled by the demo's own generator."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password

from config.demo.generate import DemoDataGenerator, FastRandom, plan_rows
from config.demo.writers import get_writer

FORMULA = '=HYPERLINK("http://example.invalid")'


@pytest.fixture(autouse=True)
def export_settings(settings, tmp_path):
    """The demo's adapter and data registry, media and archives in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "ACCOUNT_MODEL": "accounts.Organisation",
        "ADAPTER": "config.offboarding_adapter.DemoAdapter",
        "DATA_REGISTRY": "config.offboarding_data.registry",
    }
    return settings


def fill_organisations(slugs: list[str], rows_per_account: int, seed: int = 7) -> list:
    """Create organisations with members and rows through the demo's generator."""
    from offboarding import clock

    generator = DemoDataGenerator(get_writer(), FastRandom(seed), clock.now())
    seeds = generator.create_accounts(
        slugs, email_domain="demo.example.com", password_hash=make_password("x")
    )
    generator.fill_accounts(seeds, plan_rows(rows_per_account))
    return seeds


def add_tricky_rows(organisation_id: int) -> dict:
    """Add rows whose text a spreadsheet would run, and a negative number."""
    from config.accounts.models import Organisation
    from config.api.models import ApiKey
    from config.workspace.models import ActivityEntry, Comment, Task

    organisation = Organisation.objects.get(pk=organisation_id)
    task = Task.objects.filter(project__organisation=organisation).order_by("pk").first()
    task.title = FORMULA
    task.remaining_hours = Decimal("-42.50")
    task.description = 'Line one\nline "two", with a comma'
    task.save()
    comment = Comment.objects.filter(task__project__organisation=organisation).first()
    comment.body = "-42.5"
    comment.edited_at = datetime(2024, 3, 5, 12, 0, 0, 1500, tzinfo=UTC)
    comment.save()
    entry = ActivityEntry.objects.filter(organisation=organisation).first()
    entry.target = "@SUM(A1:A9)"
    entry.save()
    ApiKey.objects.issue(organisation, None, "+deploy script")
    return {"task": task, "comment": comment, "entry": entry}


@pytest.fixture
def demo_accounts(db, frozen_clock):
    """Two demo organisations of 400 rows each; the first also has tricky rows."""
    seeds = fill_organisations(["export-a", "export-b"], 400)
    tricky = add_tricky_rows(seeds[0].organisation_id)
    return seeds, tricky
