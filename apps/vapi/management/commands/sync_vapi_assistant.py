import re

from django.core.management.base import BaseCommand, CommandError

from apps.businesses.models import Business
from apps.vapi import sync as vapi_sync
from apps.vapi.client import VapiApiError, VapiClient


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
            "--create-missing",
            metavar="AREA_CODE",
            help="Create a free VAPI number in this US area code (e.g. 512) for each "
            "business that has none on file.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the diff, change nothing."
        )

    def handle(self, *, business, create_missing, dry_run, **_):
        if create_missing and not re.fullmatch(r"\d{3}", create_missing):
            raise CommandError("--create-missing takes a 3-digit area code, e.g. 512.")
        businesses = _businesses(business)
        try:
            with VapiClient.from_settings() as client:
                changes, created = self._sync(
                    businesses, create_missing, dry_run=dry_run, client=client
                )
        except (VapiApiError, vapi_sync.VapiSyncError) as exc:
            raise CommandError(str(exc)) from exc
        drifted = sum(not change.is_in_sync for change in changes)
        verb = "Would update" if dry_run else "Updated"
        self.stdout.write(
            f"{verb} {drifted} of {len(changes)} VAPI phone number(s) for "
            f"{len(businesses)} business(es); {len(changes) - drifted} already in sync"
            + (
                f"; {'would create' if dry_run else 'created'} {created}."
                if created
                else "."
            )
        )

    def _sync(self, businesses, area_code, *, dry_run, client):
        changes, created = [], 0
        for business in businesses:
            plan = vapi_sync.plan_phone_number_sync(business, client=client)
            for change in plan:
                self.stdout.write("\n".join(change.describe()))
            if not dry_run:
                vapi_sync.apply_phone_number_sync(plan, client=client)
            changes += plan
            new = area_code and vapi_sync.plan_phone_number_creation(
                business, area_code=area_code
            )
            if new:
                self.stdout.write("\n".join(new.describe()))
                if not dry_run:
                    number = vapi_sync.create_phone_number(new, client=client)
                    self.stdout.write(
                        f"  created {number} [{number.vapi_phone_number_id}]"
                    )
                created += 1
        return changes, created


def _businesses(slug: str | None) -> list[Business]:
    if slug is None:
        return list(Business.objects.active().order_by("slug"))
    business = Business.objects.filter(slug=slug).first()
    if business is None:
        raise CommandError(f"No business with slug {slug!r}.")
    return [business]
