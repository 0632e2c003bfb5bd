from django.core.management.base import BaseCommand, CommandError

from apps.businesses.command_options import business_from_slug
from apps.core.command_options import Progress
from apps.privacy import retention


class Command(BaseCommand):
    help = (
        "Apply each business's data retention: blank transcripts, recording URLs, raw "
        "webhook payloads, tool arguments and sent notification bodies older than it, "
        "keeping the rows staff count. Safe to repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--business",
            metavar="SLUG",
            help="Only this business (default: every business, and calls to none).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be purged, change nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=retention.BATCH_SIZE,
            help=f"Rows per update (default {retention.BATCH_SIZE}).",
        )

    def handle(self, *, business, dry_run, batch_size, **_):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        report = retention.purge_call_data(
            business=business_from_slug(business),
            dry_run=dry_run,
            batch_size=batch_size,
            progress=Progress(self.stderr, "Purged", "row(s)"),
        )
        for line in report.details:
            self.stdout.write(f"  {line}")
        self.stdout.write(report.summary())
