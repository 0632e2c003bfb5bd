"""The daily staff digest: a business's calls, leads and bookings of one local day."""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.businesses.models import Business
from apps.calls.models import Call
from apps.core.links import absolute_url
from apps.core.phones import format_phone
from apps.dashboard.metrics import local_day
from apps.leads.models import CallbackRequest, Lead
from apps.notifications import services as notification_services
from apps.notifications.models import Notification

logger = logging.getLogger(__name__)

LISTED = 20  # items per list in one digest


def send_daily_digests(now: dt.datetime | None = None) -> int:
    """Queue yesterday's digest for each active business whose local time has reached
    DAILY_DIGEST_HOUR; once per business and local date. Returns how many were queued.

    Catching up later in the day (a missed beat, an hour skipped by DST) is fine: the
    dedupe key holds the local date.
    """
    now = now or timezone.now()
    queued = 0
    for business in Business.objects.active().exclude(notification_emails=""):
        local = now.astimezone(business.tzinfo)
        if local.hour < settings.DAILY_DIGEST_HOUR:
            continue
        if queue_daily_digest(business, day=local.date() - dt.timedelta(days=1)):
            queued += 1
    return queued


def queue_daily_digest(business: Business, *, day: dt.date) -> list[Notification]:
    """Queue the digest of `day` (local) to the business's staff emails; nothing when it
    was already queued or the day had no activity. Idempotent per business and date."""
    key = f"daily_digest:{business.pk}:{day.isoformat()}"
    if Notification.objects.filter(dedupe_key__startswith=f"{key}:").exists():
        return []
    context = digest_context(business, day=day)
    if not context["has_activity"]:
        logger.info("No activity for %s on %s: no digest", business.pk, day)
        return []
    return notification_services.notify_staff(
        business, kind="daily_digest", context=context, dedupe_key=key
    )


def digest_context(business: Business, *, day: dt.date) -> dict[str, Any]:
    """What the daily_digest templates show for one business and local day."""
    start, end = local_day(day, business.tzinfo)
    calls = Call.objects.filter(
        business=business, created_at__gte=start, created_at__lt=end
    )
    leads = Lead.objects.filter(
        business=business, created_at__gte=start, created_at__lt=end
    )
    booked = Appointment.objects.filter(
        business=business, created_at__gte=start, created_at__lt=end
    ).select_related("lead", "service")
    counts = {
        "call_count": calls.count(),
        "lead_count": leads.count(),
        "booking_count": booked.count(),
        "cancellation_count": Appointment.objects.filter(
            business=business, cancelled_at__gte=start, cancelled_at__lt=end
        ).count(),
    }
    follow_ups = _follow_ups(business, calls, start, end)
    return {
        **counts,
        "date": day,
        "follow_ups": follow_ups,
        "leads": _leads(leads, calls),
        "bookings": [_booking(a) for a in booked.order_by("start_at")[:LISTED]],
        "has_activity": any(counts.values()) or bool(follow_ups),
        "admin_url": absolute_url("admin:index"),
    }


def _follow_ups(business, calls, start, end) -> list[dict[str, str]]:
    flagged = calls.filter(analysis__follow_up_needed=True).select_related("lead")
    items = [
        {
            "caller_name": call.lead.name if call.lead else "",
            "caller_phone": _phone(call.caller_number),
            "summary": call.summary,
        }
        for call in flagged.order_by("created_at")[:LISTED]
    ]
    callbacks = CallbackRequest.objects.open().filter(
        business=business, created_at__gte=start, created_at__lt=end
    )
    items += [
        {
            "caller_name": callback.name,
            "caller_phone": _phone(callback.callback_number),
            "summary": f"Asked for a call back: {callback.message}",
        }
        for callback in callbacks.order_by("created_at")[:LISTED]
    ]
    return items


def _leads(leads, calls) -> list[dict[str, Any]]:
    summaries = dict(
        calls.exclude(lead=None)
        .exclude(summary="")
        .order_by("created_at")
        .values_list("lead_id", "summary")
    )
    return [
        {
            "name": lead.name,
            "phone": _phone(lead.phone),
            "score": lead.score,
            "summary": summaries.get(lead.pk, ""),
        }
        for lead in leads.order_by(F("score").desc(nulls_last=True), "created_at")[
            :LISTED
        ]
    ]


def _booking(appointment: Appointment) -> dict[str, Any]:
    lead = appointment.lead
    return {
        "start_at": appointment.start_at,
        "customer_name": (lead.name or _phone(lead.phone)) if lead else "a caller",
        "service_name": appointment.service.name,
    }


def _phone(number: str) -> str:
    return format_phone(number) if number else ""
