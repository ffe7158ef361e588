"""Build data exports in this process, without Celery: a new one, a given one, or all due."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from offboarding.models import Actor, DataExport


class Command(BaseCommand):
    help = (
        "Build a data export now. --account KEY starts a new export of that account (or "
        "continues its active one); --export TOKEN continues an existing export from its "
        "last checkpoint; --due runs every export that waits for a worker, including those "
        "queued for a Celery worker that has not taken them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--account", help="Account key of the account to export.")
        target.add_argument("--export", help="Public token of an existing export to run.")
        target.add_argument("--due", action="store_true", help="Run every due export.")
        parser.add_argument(
            "--format",
            action="append",
            dest="formats",
            default=None,
            help="Format to include with --account (repeatable): csv, json, ndjson, xlsx. "
            "Default: csv.",
        )

    def handle(self, *args, account=None, export=None, due=False, formats=None, **options):
        from offboarding.exports import service

        if account is not None:
            try:
                created = service.request_export(
                    account, formats or ["csv"], actor=Actor.system(), queue=False
                )
            except service.ExportRejected as error:
                raise CommandError(str(error)) from None
            ids = [created.pk]
        elif export is not None:
            found = DataExport.objects.filter(token=export).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"No export with token {export!r} exists.")
            ids = [found]
        else:
            ids = service.exports_to_build()

        built = 0
        for export_id in ids:
            finished = service.run_export(export_id)
            current = DataExport.objects.get(pk=export_id)
            if finished is None:
                self.stdout.write(f"Export {current.token}: not run ({current.status}).")
            else:
                built += 1
                self.stdout.write(
                    f"Export {current.token}: {current.status}, {current.file_count} files, "
                    f"{current.size_bytes} bytes in {current.storage_name}"
                )
        self.stdout.write(f"Exports built: {built} of {len(ids)}.")
