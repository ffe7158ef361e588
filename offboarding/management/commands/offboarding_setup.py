import json

from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from offboarding.conf import app_settings

SCAN_TASK_NAME = "offboarding: scan due work"
NOTICE_TASK_NAME = "offboarding: send due notices"


class Command(BaseCommand):
    help = (
        "Install what the app needs at run time: the beat schedule of the due-work scan and "
        "the defaults of the other parts. Safe to run on every deploy."
    )

    def handle(self, *args, **options):
        self.install_beat_schedule()
        self.install_staff_groups()
        self.install_survey_reasons()
        self.install_save_offers()
        self.install_notice_cadence()

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

    def install_staff_groups(self):
        from offboarding.admin.groups import install_staff_groups

        for name, count in install_staff_groups().items():
            self.stdout.write(f"Staff group {name!r}: {count} permissions")

    def install_survey_reasons(self):
        from offboarding.models.portal import SurveyReason

        created = SurveyReason.install_defaults()
        self.stdout.write(f"Survey reasons: {created} installed, existing ones left as they are")

    def install_save_offers(self):
        from offboarding.models.portal import SaveOffer

        created = SaveOffer.install_defaults()
        self.stdout.write(f"Save offers: {created} installed (only when there were none)")

    def install_notice_cadence(self):
        from offboarding.notices.cadence import install_default_cadence

        created = install_default_cadence()
        self.stdout.write(f"Default notice cadence: {created} steps installed")
        every = int(app_settings.NOTICE_SEND_INTERVAL_SECONDS)
        schedule, _ = IntervalSchedule.objects.get_or_create(
            every=every, period=IntervalSchedule.SECONDS
        )
        _, created = PeriodicTask.objects.update_or_create(
            name=NOTICE_TASK_NAME,
            defaults={
                "task": "offboarding.send_due_notices",
                "interval": schedule,
                "args": json.dumps([]),
                "enabled": True,
            },
        )
        verb = "installed" if created else "up to date"
        self.stdout.write(f"Beat schedule {NOTICE_TASK_NAME!r} {verb}: every {every} s")
