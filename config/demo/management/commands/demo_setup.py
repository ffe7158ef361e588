"""Create the fixed demo story; a second run changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from config.demo.story import DEMO_PASSWORD, run_setup, story_users


class Command(BaseCommand):
    help = (
        "Create the demo story: plans on the local ledger, the organisations Northwind, "
        "Globex and Initech with an owner, an admin and a member each, their subscriptions "
        "and data, and the superuser admin@example.com. Existing parts are left as they are."
    )

    def handle(self, *args, **options) -> None:
        report = run_setup()

        self.stdout.write(
            f"Created {len(report.plans)} plans, {len(report.organisations)} organisations, "
            f"{len(report.users)} users, {len(report.subscriptions)} subscriptions, "
            f"{report.rows} rows of data and {len(report.api_keys)} API keys."
        )
        for line in report.subscriptions:
            self.stdout.write(f"  subscription {line}")
        for organisation_name, plaintext in report.api_keys:
            # Shown once: only the key's digest is stored.
            self.stdout.write(f"  API key of {organisation_name}: {plaintext}")

        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for email, description in story_users():
            self.stdout.write(f"  {email:32} {description}")
