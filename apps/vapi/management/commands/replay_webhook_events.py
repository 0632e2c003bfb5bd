from django.core.management.base import BaseCommand, CommandError

from apps.calls.models import WebhookEvent
from apps.core.command_options import Progress, add_window_arguments, window
from apps.vapi import replay

# Events handed to the service at a time: progress after each chunk, not each event.
CHUNK_SIZE = 100


class Command(BaseCommand):
    help = (
        "Process stored VAPI events again that failed or never finished, chosen by id, "
        "time window or --failed; processed events are skipped, so it is safe to repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Webhook event ids.")
        add_window_arguments(parser, default_since=None)
        parser.add_argument(
            "--failed", action="store_true", help="Only events whose processing failed."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be replayed, change nothing.",
        )

    def handle(self, *, ids, since, until, failed, dry_run, **_):
        if not (ids or since or failed):
            raise CommandError("Name event ids, a --since window, or --failed.")
        start, end = window(since, until)
        events = WebhookEvent.objects.filter(received_at__lt=end)
        if ids:
            events = events.filter(pk__in=ids)
        if start:
            events = events.filter(received_at__gte=start)
        if failed:
            events = events.filter(status=WebhookEvent.Status.FAILED)
        if dry_run:
            pending = events.filter(
                status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED]
            ).count()
            self.stdout.write(f"Would replay {pending} of {events.count()} event(s).")
            return
        report = self._replay(events)
        total = report.replayed + report.failed + report.skipped
        self.stdout.write(
            f"Replayed {report.replayed} of {total} event(s): {report.failed} still "
            f"failing, {report.skipped} already processed."
        )
        if report.failed:
            raise CommandError(
                f"{report.failed} event(s) still fail; see their errors in the admin."
            )

    def _replay(self, events) -> replay.ReplayReport:
        """The service's report over every event, fed to it a chunk at a time."""
        # The service's own order, so the chunks replay the events in that order too.
        pks = list(events.order_by("received_at", "pk").values_list("pk", flat=True))
        progress = Progress(self.stderr, "Checked", "event(s)")
        reports = []
        for done in range(0, len(pks), CHUNK_SIZE):
            chunk = pks[done : done + CHUNK_SIZE]
            reports.append(
                replay.replay_webhook_events(WebhookEvent.objects.filter(pk__in=chunk))
            )
            progress(done + len(chunk), len(pks))
        return replay.ReplayReport(
            replayed=sum(r.replayed for r in reports),
            failed=sum(r.failed for r in reports),
            skipped=sum(r.skipped for r in reports),
        )
