from collections.abc import Iterable, Iterator

from django.core.management.base import BaseCommand, CommandError

from apps.businesses.command_options import business_from_slug
from apps.core.command_options import Progress, add_window_arguments, window
from apps.leads import csv_format
from apps.leads.models import Lead

_PROGRESS_EVERY = 500


class Command(BaseCommand):
    help = (
        "Write a business's leads as CSV (the admin export's columns) to --output or "
        "stdout, oldest first, optionally only some statuses or a created-at window."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--business", metavar="SLUG", required=True, help="The business's slug."
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=Lead.Status.values,
            help="Only leads with this status; repeat for several.",
        )
        add_window_arguments(parser, default_since=None)
        parser.add_argument(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE instead of stdout (the summary then goes to stdout).",
        )

    def handle(self, *, business, status, since, until, output, **_):
        business = business_from_slug(business)
        start, end = window(since, until)
        leads = Lead.objects.for_business(business).order_by("created_at", "pk")
        if status:
            leads = leads.filter(status__in=status)
        if start:
            leads = leads.filter(created_at__gte=start)
        leads = leads.filter(created_at__lt=end)
        total = leads.count()
        rows = _tracked(
            leads.iterator(), total, Progress(self.stderr, "Wrote", "lead(s)")
        )
        if output:
            try:
                with open(output, "w", newline="", encoding="utf-8") as out:
                    count = csv_format.write_leads(rows, out)
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc}") from exc
            self.stdout.write(
                f"Exported {count} lead(s) of {business.slug} to {output}."
            )
        else:
            count = csv_format.write_leads(rows, self.stdout)
            # stdout carries the CSV, so the summary goes beside the progress.
            self.stderr.write(f"Exported {count} lead(s) of {business.slug}.")


def _tracked(leads: Iterable[Lead], total: int, progress: Progress) -> Iterator[Lead]:
    done = 0
    for done, lead in enumerate(leads, start=1):
        if done % _PROGRESS_EVERY == 0:
            progress(done, total)
        yield lead
    if total and done % _PROGRESS_EVERY:
        progress(done, total)
