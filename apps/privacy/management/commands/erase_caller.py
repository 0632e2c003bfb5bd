from django.core.management.base import BaseCommand, CommandError

from apps.businesses.command_options import business_from_slug
from apps.core.phones import InvalidPhoneError
from apps.privacy import erasure


class Command(BaseCommand):
    help = (
        "Erase one caller by phone number: delete their leads, callback requests, "
        "notifications, tool invocations and raw events; anonymise their calls and "
        "appointments. Prints what was erased, table by table."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--phone",
            required=True,
            help="The caller's number in any format, e.g. '(512) 555-0187'.",
        )
        parser.add_argument(
            "--business",
            metavar="SLUG",
            help="Only at this business (default: every business).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would be erased, change nothing.",
        )

    def handle(self, *, phone, business, dry_run, **_):
        try:
            report = erasure.erase_caller(
                phone, business=business_from_slug(business), dry_run=dry_run
            )
        except InvalidPhoneError as exc:
            raise CommandError(f"{exc}; give the caller's number.") from exc
        except erasure.ErasureError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(report.summary())
