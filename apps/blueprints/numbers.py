"""Pointing a business's VAPI numbers at VoiceHive, as `sync_vapi_assistant` does."""

from django.conf import settings

from apps.businesses.models import Business
from apps.vapi import sync as vapi_sync
from apps.vapi.client import VapiApiError, VapiClient


def point_numbers_at_voicehive(business: Business, *, dry_run: bool) -> list[str]:
    """Plan (and unless dry_run, apply) the number sync; lines saying what happened."""
    if business.pk is None or not business.phone_numbers.exists():
        return []
    if not settings.VAPI_API_KEY:
        return [
            "VAPI numbers not checked: VAPI_API_KEY is not set (then run "
            f"sync_vapi_assistant --business {business.slug})."
        ]
    try:
        with VapiClient.from_settings() as client:
            plan = vapi_sync.plan_phone_number_sync(business, client=client)
            lines = [line for change in plan for line in change.describe()]
            if not dry_run:
                vapi_sync.apply_phone_number_sync(plan, client=client)
    except (VapiApiError, vapi_sync.VapiSyncError) as exc:
        return [f"VAPI numbers not synced: {exc}"]
    return lines
