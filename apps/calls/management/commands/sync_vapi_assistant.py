from django.core.management.base import BaseCommand, CommandError

from apps.businesses.models import Business
from apps.calls import vapi_sync
from apps.calls.vapi_api import VapiApiError, VapiClient


class Command(BaseCommand):
    help = (
        "Point each active business's VAPI phone numbers at our webhook with our "
        "credential (no saved assistant, so VAPI sends assistant-request); prints the "
        "diff first. Needs VAPI_API_KEY, VAPI_SERVER_URL and VAPI_CREDENTIAL_ID."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--business",
            metavar="SLUG",
            help="Only this business (default: all active).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the diff, change nothing."
        )

    def handle(self, *, business, dry_run, **_):
        businesses = _businesses(business)
        try:
            with VapiClient.from_settings() as client:
                changes = [
                    change
                    for each in businesses
                    for change in vapi_sync.plan_phone_number_sync(each, client=client)
                ]
                for change in changes:
                    self.stdout.write("\n".join(change.describe()))
                drifted = [change for change in changes if not change.is_in_sync]
                if not dry_run:
                    vapi_sync.apply_phone_number_sync(drifted, client=client)
        except (VapiApiError, vapi_sync.VapiSyncError) as exc:
            raise CommandError(str(exc)) from exc
        verb = "Would update" if dry_run else "Updated"
        self.stdout.write(
            f"{verb} {len(drifted)} of {len(changes)} VAPI phone number(s) for "
            f"{len(businesses)} business(es); {len(changes) - len(drifted)} already in sync."
        )


def _businesses(slug: str | None) -> list[Business]:
    if slug is None:
        return list(Business.objects.active().order_by("slug"))
    business = Business.objects.filter(slug=slug).first()
    if business is None:
        raise CommandError(f"No business with slug {slug!r}.")
    return [business]
