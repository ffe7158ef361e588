"""Print where to sign in, with which demo users, and how to move the demo clock."""

from django.core.management.base import BaseCommand

from config.demo.story import DEMO_PASSWORD, story_users
from offboarding import clock


class Command(BaseCommand):
    help = "Print the demo's address, its users and how to move the demo clock."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The demo's address.")

    def handle(self, *args, url: str, **options) -> None:
        url = url.rstrip("/")
        self.stdout.write(f"\nThe demo runs at {url}/")
        self.stdout.write(f"  product:          {url}/app/")
        self.stdout.write(f"  offboarding:      {url}/offboarding/")
        self.stdout.write(f"  admin, dashboard: {url}/admin/")
        self.stdout.write(f"\nUsers (password for all: {DEMO_PASSWORD}):")
        for email, description in story_users():
            self.stdout.write(f"  {email:36} {description}")
        self.stdout.write(
            f"\nDemo clock: {clock.now():%Y-%m-%d %H:%M} UTC. Move it in another terminal:"
        )
        self.stdout.write(
            "  .venv/bin/python manage.py offboarding_clock            "
            "(the time and the cases' next moments)"
        )
        self.stdout.write(
            "  .venv/bin/python manage.py offboarding_clock --to TIME  "
            "(e.g. two days before access ends, for the reminder)"
        )
        self.stdout.write("  .venv/bin/python manage.py offboarding_clock --days 31")
        self.stdout.write(
            "  .venv/bin/python manage.py offboarding_run_due   (or wait a minute for beat)"
        )
        self.stdout.write("  .venv/bin/python manage.py offboarding_clock --reset")
        self.stdout.write("")
