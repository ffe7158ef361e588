import json

from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from offboarding.conf import app_settings

SCAN_TASK_NAME = "offboarding: scan due work"


class Command(BaseCommand):
    help = (
        "Install what the app needs at run time: the beat schedule of the due-work scan and "
        "the defaults of the other parts. Safe to run on every deploy."
    )

    def handle(self, *args, **options):
        self.install_beat_schedule()

    def install_beat_schedule(self):
        every = int(app_settings.SCAN_INTERVAL_SECONDS)
        schedule, _ = IntervalSchedule.objects.get_or_create(
            every=every, period=IntervalSchedule.SECONDS
        )
        task, created = PeriodicTask.objects.update_or_create(
            name=SCAN_TASK_NAME,
            defaults={
                "task": "offboarding.scan_due_work",
                "interval": schedule,
                "args": json.dumps([]),
                "enabled": True,
            },
        )
        verb = "installed" if created else "up to date"
        self.stdout.write(f"Beat schedule {SCAN_TASK_NAME!r} {verb}: every {every} s")
