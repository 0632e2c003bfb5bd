"""Forget sync tokens and sync outside calendars again from scratch."""

from django.core.management.base import BaseCommand, CommandError

from apps.businesses.command_options import business_from_slug
from apps.calendars import services, sync
from apps.calendars.models import CalendarConnection


class Command(BaseCommand):
    help = (
        "Resync connected calendars from scratch: one connection, one provider's, "
        "one business's, or every live one. Queued for the worker unless --now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--business", help="Only this business's calendars.")
        parser.add_argument("--provider", type=int, help="Only this provider's (id).")
        parser.add_argument("--connection", type=int, help="Only this connection (id).")
        parser.add_argument(
            "--now", action="store_true", help="Sync here and now instead of queueing."
        )
        parser.add_argument("--dry-run", action="store_true", help="Only list them.")

    def handle(self, *, business, provider, connection, now, dry_run, **_):
        connections = CalendarConnection.objects.live().select_related("business")
        if business:
            connections = connections.filter(business=business_from_slug(business))
        if provider:
            connections = connections.filter(provider_id=provider)
        if connection:
            connections = connections.filter(pk=connection)
        if not connections.exists():
            raise CommandError("No live calendar connection matches.")
        for item in connections:
            self.stdout.write(f"{item.business.slug}: {item} [{item.pk}]")
        if dry_run:
            self.stdout.write("Dry run: nothing synced.")
            return
        if now:
            for pk in services.forget_sync_tokens(connections):
                self.stdout.write(f"connection {pk}: {sync.sync_connection(pk)}")
            return
        count = services.resync(connections)
        self.stdout.write(f"Queued {count} connection(s) for a full sync.")
