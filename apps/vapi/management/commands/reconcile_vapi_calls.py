from django.core.management.base import BaseCommand, CommandError

from apps.businesses.command_options import business_from_slug
from apps.core.command_options import Progress, add_window_arguments, window
from apps.vapi import reconciliation
from apps.vapi.client import VapiApiError, VapiClient


class Command(BaseCommand):
    help = (
        "Ask VAPI for the calls created in a time window and ingest, through the "
        "webhook's path, each end-of-call report that never reached us. Needs VAPI_API_KEY."
    )

    def add_arguments(self, parser):
        add_window_arguments(parser)
        parser.add_argument(
            "--business", metavar="SLUG", help="Only calls to this business's numbers."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be ingested, write nothing.",
        )

    def handle(self, *, since, until, business, dry_run, **_):
        since_at, until_at = window(since, until)
        try:
            with VapiClient.from_settings() as client:
                report = reconciliation.reconcile_calls(
                    since=since_at,
                    until=until_at,
                    business=business_from_slug(business),
                    dry_run=dry_run,
                    client=client,
                    progress=Progress(self.stderr, "Checked", "call(s)"),
                )
        except VapiApiError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())
        if report.failed:
            raise CommandError(
                "Not ingested: "
                + "; ".join(report.failed)
                + " (a report stored as failed can be replayed from the admin's "
                "webhook events)."
            )
