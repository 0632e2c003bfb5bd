"""Re-encrypt every stored calendar secret under the newest key."""

from django.core.management.base import BaseCommand

from apps.calendars import crypto
from apps.calendars.models import CalendarConnection


class Command(BaseCommand):
    help = (
        "Re-encrypt calendar tokens and passwords with the first key of "
        "CALENDAR_ENCRYPTION_KEYS; afterwards the older keys may be removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count them.")

    def handle(self, *, dry_run, **_):
        rotated = unreadable = 0
        for pk, secret in CalendarConnection.objects.exclude(secret="").values_list(
            "pk", "secret"
        ):
            try:
                fresh = crypto.rotate(secret)
            except crypto.SecretUnreadable:
                unreadable += 1
                self.stderr.write(f"connection {pk}: no configured key opens it")
                continue
            if not dry_run:
                CalendarConnection.objects.filter(pk=pk).update(secret=fresh)
            rotated += 1
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(f"{verb} {rotated} secret(s); {unreadable} unreadable.")
