import contextlib
import sys

from django.core.management.base import BaseCommand, CommandError

from apps.businesses.command_options import business_from_slug
from apps.core.command_options import Progress
from apps.leads import imports
from apps.leads.csv_format import LeadCsvError


class Command(BaseCommand):
    help = (
        "Import leads from a CSV in the export's layout: phones normalised, rows merged "
        "into existing leads by phone then email; all or nothing unless --partial."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="CSV file, or - for stdin.")
        parser.add_argument(
            "--business", metavar="SLUG", required=True, help="The business's slug."
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Import the good rows even when some are rejected (exit 0).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and report what would change; write nothing.",
        )

    def handle(self, *, file, business, partial, dry_run, **_):
        business = business_from_slug(business)
        verb = "Checked" if dry_run else "Read"
        try:
            with _open(file) as source:
                report = imports.import_leads(
                    business,
                    source,
                    partial=partial,
                    dry_run=dry_run,
                    progress=Progress(self.stderr, verb, "row(s)"),
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        except (LeadCsvError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file} is not a leads CSV: {exc}") from exc
        for rejected in report.rejected:
            self.stdout.write(f"Rejected {rejected}")
        self.stdout.write(report.summary())
        if report.rejected and not partial:
            outcome = (
                "a real run would import nothing" if dry_run else "nothing imported"
            )
            raise CommandError(
                f"{len(report.rejected)} row(s) rejected, listed above; {outcome}."
            )


def _open(path: str):
    if path == "-":
        return contextlib.nullcontext(sys.stdin)
    # utf-8-sig: spreadsheet apps often save CSVs with a byte-order mark.
    return open(path, newline="", encoding="utf-8-sig")
