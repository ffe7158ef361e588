from django.core.management.base import BaseCommand, CommandError

from offboarding.models import Tombstone
from offboarding.purge.reapply import export_tombstones, import_tombstones, reapply


class Command(BaseCommand):
    help = (
        "Delete again the data of every purged account after a database restore, from the "
        "tombstones the purges left. Safe to run any number of times. Keep a copy of the "
        "tombstones outside the backups with --export."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-file",
            metavar="PATH",
            help="Add the tombstones of this JSON-lines file (written by --export) first.",
        )
        parser.add_argument(
            "--export",
            metavar="PATH",
            help="Write every tombstone to this JSON-lines file and stop.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print which accounts would be purged again; delete nothing.",
        )

    def handle(self, *args, **options):
        if options["export"]:
            count = export_tombstones(options["export"])
            self.stdout.write(f"Wrote {count} tombstones to {options['export']}")
            return
        if options["from_file"]:
            try:
                added = import_tombstones(options["from_file"])
            except (OSError, ValueError) as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"Added {added} tombstones from {options['from_file']}")

        results = reapply(Tombstone.objects.order_by("pk"), dry_run=options["dry_run"])
        for result in results:
            if not result.found:
                self.stdout.write(f"{result.case_public_id}: no account found, nothing to delete")
            elif options["dry_run"]:
                self.stdout.write(f"{result.case_public_id}: account found, would be purged again")
            else:
                self.stdout.write(
                    f"{result.case_public_id}: {result.rows} rows deleted"
                    + (", account row deleted" if result.account_row else "")
                )
        self.stdout.write(f"{len(results)} tombstones checked")
