from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.timesince import timeuntil

from offboarding import clock

# How many upcoming moments the command lists after it shows the time.
UPCOMING_LIMIT = 10


class Command(BaseCommand):
    help = (
        'Show or move the app clock (OFFBOARDING["CLOCK"] = "database" only), like a '
        "billing test clock: every process sees the new time. Lists the next moments of "
        "open cases (access ends, pause ends, data deleted), so you know where to move."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=float, default=0, help="Move forward by this many days."
        )
        parser.add_argument(
            "--hours", type=float, default=0, help="Move forward by this many hours."
        )
        parser.add_argument(
            "--to",
            metavar="ISO_TIME",
            help="Move forward to this aware time, e.g. 2024-05-29T12:00:00+00:00. "
            "The clock keeps running from there.",
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

    def handle(
        self,
        *args,
        days=0,
        hours=0,
        to=None,
        freeze=None,
        unfreeze=False,
        reset=False,
        **options,
    ):
        try:
            if reset:
                clock.reset()
            if freeze:
                clock.freeze(_parse_time(freeze))
            if unfreeze:
                clock.unfreeze()
            if to:
                target = _parse_time(to)
                now = clock.now()
                if target < now:
                    raise CommandError(
                        f"{to} is before the clock's time {now.isoformat()}: "
                        "the clock only moves forward. Use --reset to go back to real time."
                    )
                clock.advance(target - now)
            if days or hours:
                clock.advance(timedelta(days=days, hours=hours))
        except (ValueError, RuntimeError) as error:
            raise CommandError(str(error)) from error

        now = clock.now()
        self.stdout.write(f"Clock: {now.isoformat()}")
        if options["verbosity"] >= 1:
            self._list_upcoming(now)

    def _list_upcoming(self, now: datetime) -> None:
        """List the next lifecycle moments of open cases, earliest first."""
        moments = upcoming_moments(now)[:UPCOMING_LIMIT]
        if not moments:
            return
        self.stdout.write("Next moments of open cases:")
        for at, label, what in moments:
            # A moment already passed is due work that no worker has run yet.
            when = f"in {timeuntil(at, now)}" if at > now else "due, run offboarding_run_due"
            self.stdout.write(f"  {at.isoformat()}  ({when})  {label}: {what}")


def _parse_time(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError(f"{value} is not an aware time: give its UTC offset, e.g. {value}+00:00.")
    return at


def upcoming_moments(now: datetime) -> list[tuple[datetime, str, str]]:
    """Return (time, account label, what happens) for the open cases' next moments, due ones included."""
    from offboarding.models import CaseState, OffboardingCase

    moments = []
    cases = OffboardingCase.objects.open().filter(
        state__in=[CaseState.SCHEDULED, CaseState.SAVED, CaseState.ENDED, CaseState.VAULTED]
    )
    for case in cases.only(
        "state",
        "account_label",
        "account_key",
        "boundary_at",
        "pause_ends_at",
        "retention_ends_at",
        "legal_hold",
    ):
        label = case.account_label or case.account_key
        if case.state == CaseState.SCHEDULED and case.boundary_at:
            moments.append((case.boundary_at, label, "access ends"))
        elif case.state == CaseState.VAULTED and case.boundary_at:
            moments.append((case.boundary_at, label, "access ends, the data stays in the vault"))
        elif case.state == CaseState.SAVED and case.pause_ends_at:
            moments.append((case.pause_ends_at, label, "pause ends"))
        elif case.state == CaseState.ENDED and case.retention_ends_at and not case.legal_hold:
            moments.append((case.retention_ends_at, label, "data deleted"))
    return sorted(moments, key=lambda moment: moment[0])
