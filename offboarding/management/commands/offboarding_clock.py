from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from offboarding import clock


class Command(BaseCommand):
    help = (
        'Show or move the app clock (OFFBOARDING["CLOCK"] = "database" only), like a '
        "billing test clock: every process sees the new time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=float, default=0, help="Move forward by this many days."
        )
        parser.add_argument(
            "--hours", type=float, default=0, help="Move forward by this many hours."
        )
        parser.add_argument(
            "--freeze",
            metavar="ISO_TIME",
            help="Stop the clock at this aware time, e.g. 2024-03-05T12:00:00+00:00.",
        )
        parser.add_argument(
            "--unfreeze", action="store_true", help="Let a frozen clock run again."
        )
        parser.add_argument("--reset", action="store_true", help="Go back to the wall clock.")

    def handle(self, *args, days=0, hours=0, freeze=None, unfreeze=False, reset=False, **options):
        try:
            if reset:
                clock.reset()
            if freeze:
                at = datetime.fromisoformat(freeze)
                clock.freeze(at)
            if unfreeze:
                clock.unfreeze()
            if days or hours:
                clock.advance(timedelta(days=days, hours=hours))
        except (ValueError, RuntimeError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Clock: {clock.now().isoformat()}")
