"""Generate organisations with members and many rows of data, for load tests and benchmarks."""

from __future__ import annotations

import logging
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from config.accounts.models import Organisation
from config.demo.generate import DemoDataGenerator, FastRandom, RowCounts, plan_rows
from config.demo.writers import get_writer
from offboarding import clock

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - published demo credentials
EMAIL_DOMAIN = "demo.example.com"
# Rows written per transaction; a batch is written whole or not at all.
ROWS_PER_BATCH = 50_000


class Command(BaseCommand):
    help = (
        "Create organisations, each with an owner, an admin and a member, and a number of "
        "rows of data per organisation. Organisations are named after the seed and their "
        "number, and ones that already exist are skipped, so a second run adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, required=True, help="Number of organisations.")
        parser.add_argument(
            "--rows-per-account",
            type=int,
            required=True,
            help="Rows of data per organisation: projects, tasks, comments, activity, files.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Seed of the random data and of the names (default 1).",
        )

    def handle(self, *args, accounts: int, rows_per_account: int, seed: int, **options) -> None:
        if accounts < 1:
            raise CommandError(f"--accounts must be 1 or more, got {accounts}.")
        try:
            plan = plan_rows(rows_per_account)
        except ValueError as error:
            raise CommandError(str(error)) from None

        prefix = f"demo-{seed}-"
        slugs = [f"{prefix}{index:06d}" for index in range(accounts)]
        existing = set(
            Organisation.objects.filter(slug__startswith=prefix).values_list("slug", flat=True)
        ) & set(slugs)
        missing = [slug for slug in slugs if slug not in existing]
        if existing:
            self.stdout.write(f"Skipping {len(existing)} organisations that already exist.")

        writer = get_writer()
        generator = DemoDataGenerator(writer, FastRandom(seed), clock.now())
        # One hash for every generated user: hashing thousands of passwords would take
        # minutes. The users share a salt, which is acceptable for throwaway demo data only.
        password_hash = make_password(DEMO_PASSWORD)

        accounts_per_batch = max(1, ROWS_PER_BATCH // plan.total)
        counts = RowCounts()
        started = time.perf_counter()
        for start in range(0, len(missing), accounts_per_batch):
            batch = missing[start : start + accounts_per_batch]
            with transaction.atomic():
                seeds = generator.create_accounts(
                    batch, email_domain=EMAIL_DOMAIN, password_hash=password_hash
                )
                counts.add(generator.fill_accounts(seeds, plan))
            logger.info(
                "Demo data: %s of %s organisations written", start + len(batch), len(missing)
            )
        elapsed = time.perf_counter() - started

        self._report(len(missing), counts, elapsed, writer)

    def _report(self, created: int, counts: RowCounts, elapsed: float, writer) -> None:
        rate = counts.total / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"Created {created} organisations ({created * 3} users) and {counts.total} rows: "
            f"{counts.projects} projects, {counts.tasks} tasks, {counts.comments} comments, "
            f"{counts.activity_entries} activity entries, {counts.attachments} attachments."
        )
        self.stdout.write(
            f"Wrote them in {elapsed:.1f} s ({rate:,.0f} rows/s) with {type(writer).__name__}."
        )
        if created:
            self.stdout.write(
                f"Users sign in as demo-<seed>-<number>-owner@{EMAIL_DOMAIN} (or -admin, -member) "
                f"with the password {DEMO_PASSWORD}."
            )
