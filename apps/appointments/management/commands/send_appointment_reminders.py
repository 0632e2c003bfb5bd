from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.appointments import notices


class Command(BaseCommand):
    help = (
        "Queue reminders for active appointments starting within their "
        "business's reminder lead time "
        "that have had none (what the periodic task does), and report how many."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the appointments that are due a reminder; queue nothing.",
        )

    def handle(self, *, dry_run, **_):
        now = timezone.now()
        if dry_run:
            due = notices.due_for_reminder(now).select_related("business", "lead")
            for appointment in due:
                local = timezone.localtime(
                    appointment.start_at, appointment.business.tzinfo
                )
                self.stdout.write(
                    f"{appointment.pk}: {local:%Y-%m-%d %H:%M %Z} {appointment.lead or '-'}"
                )
            self.stdout.write(f"{len(due)} appointments due a reminder (dry run).")
            return
        handled = notices.send_due_reminders(now=now)
        self.stdout.write(f"Reminders queued for {handled} appointments.")
