from django.core.management.base import BaseCommand

from offboarding import clock, jobs


class Command(BaseCommand):
    help = (
        "Run the due offboarding work once, without Celery: boundaries reached, pauses "
        "ending, retention windows over, abandoned flows and pending steps. For cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due and change nothing."
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Maximum cases per kind of due work in this run (default: SCAN_BATCH_SIZE).",
        )

    def handle(self, *args, dry_run=False, limit=None, **options):
        if limit is not None and limit < 1:
            self.stderr.write(f"--limit must be 1 or more, got {limit}.")
            raise SystemExit(2)
        self.stdout.write(f"Clock: {clock.now().isoformat()}")
        if dry_run:
            for name, count in jobs.preview_due_work().items():
                self.stdout.write(f"{name}: {count} due")
            return
        report = jobs.scan_due_work(limit)
        for name, count in report.counts.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(f"failures: {report.failures}")
