from django.core.management.base import BaseCommand, CommandError

from offboarding import steps
from offboarding.models import CaseStep, IllegalTransition, OffboardingCase
from offboarding.purge.service import dry_run
from offboarding.services import lifecycle


class Command(BaseCommand):
    help = (
        "Purge the account data of one case whose retention window is over, then issue its "
        "deletion certificate, or show with --dry-run what the purge would delete. A purge "
        "the lifecycle refuses (legal hold, data vault, reactivated, window not over) "
        "changes nothing and prints why. Safe to run again after an interruption."
    )

    def add_arguments(self, parser):
        parser.add_argument("case", help="Public id of the case.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the rows per model and the files the purge would delete; delete nothing.",
        )

    def handle(self, *args, **options):
        case = OffboardingCase.objects.filter(public_id=options["case"]).first()
        if case is None:
            raise CommandError(f"No case with public id {options['case']!r}.")
        if options["dry_run"]:
            self.print_dry_run(case)
            return

        if case.purge_started_at is None:
            try:
                lifecycle.start_purge(case)
            except IllegalTransition as refusal:
                raise CommandError(
                    f"Purge of case {case.public_id} refused: {refusal.why}."
                ) from None
        ran = steps.run_pending_steps(limit=100, case_id=case.pk)
        case.refresh_from_db()
        self.stdout.write(f"Ran {ran} steps; the case is {case.state}.")
        for label, count in case.purge_progress.values_list("model_label", "deleted"):
            self.stdout.write(f"{label}: {count} rows deleted")
        held = case.steps.filter(status=CaseStep.Status.RUNNING).values_list("handler", flat=True)
        for handler in held:
            self.stdout.write(
                f"Step {handler} is leased by another worker; it is retried when the lease expires."
            )

    def print_dry_run(self, case):
        refusal = lifecycle.purge_refusal(case)
        report = dry_run(case)
        for name, label, count in report.rows:
            self.stdout.write(f"{name} ({label}): {count} rows")
        self.stdout.write(f"Files: {report.files}")
        self.stdout.write(f"Account row: {'deleted' if report.account_row else 'kept'}")
        self.stdout.write(f"Total: {report.total} rows")
        if refusal and case.purge_started_at is None:
            self.stdout.write(f"A purge now would be refused: {refusal}.")
