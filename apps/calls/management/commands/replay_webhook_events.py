from django.core.management.base import BaseCommand, CommandError

from apps.calls import services as call_services
from apps.calls.models import WebhookEvent
from apps.core.command_options import add_window_arguments, window


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
        report = call_services.replay_webhook_events(events)
        self.stdout.write(
            f"Replayed {report.replayed} event(s); {report.failed} still failing, "
            f"{report.skipped} already processed."
        )
        if report.failed:
            raise CommandError(
                f"{report.failed} event(s) still fail; see their errors in the admin."
            )
