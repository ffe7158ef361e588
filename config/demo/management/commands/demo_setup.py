"""Create the fixed demo story; a second run changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from config.demo.story import run_setup


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

        # The users are listed once, by demo_info, which `make demo` runs after the server
        # has started, so the list is the last thing on screen.
        self.stdout.write("Demo users, their password and where to sign in: manage.py demo_info")
