"""The figures on the staff dashboard, for a set of businesses, in a constant number of queries."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.calls.analysis import URGENT_FOLLOW_UPS
from apps.calls.models import Call
from apps.leads.models import CallbackRequest, Lead
from apps.notifications.models import CREDENTIAL_KINDS, Notification

CHART_DAYS = 14
ATTENTION_LIMIT = 8


@dataclass(frozen=True)
class Conversion:
    days: int
    calls: int
    booked: int

    @property
    def percent(self) -> int:
        return round(100 * self.booked / self.calls) if self.calls else 0


@dataclass(frozen=True)
class AttentionItem:
    kind: str
    text: str
    when: dt.datetime
    url: str


def dashboard(businesses: QuerySet) -> dict:
    """Everything the admin index shows for these businesses (a values("pk") queryset)."""
    today_start = timezone.localtime().replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    calls = Call.objects.filter(business__in=businesses)
    return {
        "today": _today(businesses, calls, today_start),
        "conversion": [_conversion(calls, days) for days in (7, 30)],
        "attention": _needs_attention(businesses, calls),
        "chart": _daily_chart(businesses, calls, today_start),
    }


def _today(businesses, calls, today_start) -> dict[str, int]:
    return {
        "calls": calls.filter(created_at__gte=today_start).count(),
        "new_leads": Lead.objects.filter(
            business__in=businesses, created_at__gte=today_start
        ).count(),
        "bookings": Appointment.objects.filter(
            business__in=businesses, created_at__gte=today_start
        ).count(),
    }


def _conversion(calls, days: int) -> Conversion:
    """Calls in the window, and how many of them booked an appointment."""
    window = calls.filter(created_at__gte=timezone.now() - dt.timedelta(days=days))
    totals = window.aggregate(
        calls=Count("pk", distinct=True),
        booked=Count("pk", filter=Q(appointments__isnull=False), distinct=True),
    )
    return Conversion(days=days, calls=totals["calls"], booked=totals["booked"])


def _needs_attention(businesses, calls) -> list[AttentionItem]:
    week_ago = timezone.now() - dt.timedelta(days=7)
    items = [
        AttentionItem(
            "Callback",
            f"{c.name or c.callback_number}: {c.message[:80]}",
            c.created_at,
            reverse("admin:leads_callbackrequest_change", args=[c.pk]),
        )
        for c in CallbackRequest.objects.open()
        .filter(business__in=businesses)
        .order_by("-created_at")[:ATTENTION_LIMIT]
    ]
    flagged = (
        calls.filter(
            Q(analysis__follow_up_urgency__in=URGENT_FOLLOW_UPS)
            | Q(analysis_status=Call.AnalysisStatus.FAILED)
            | Q(has_hang=True),
            created_at__gte=week_ago,
        )
        .only(
            "pk",
            "caller_number",
            "created_at",
            "analysis_status",
            "has_hang",
            "summary",
        )
        .order_by("-created_at")[:ATTENTION_LIMIT]
    )
    items += [_call_item(call) for call in flagged]
    items += [
        AttentionItem(
            "Failed notification",
            f"{n.get_channel_display()} {n.kind} to {n.recipient}: {n.last_error[:60]}",
            n.created_at,
            reverse("admin:notifications_notification_change", args=[n.pk]),
        )
        for n in Notification.objects.filter(
            business__in=businesses,
            status__in=[Notification.Status.FAILED, Notification.Status.BOUNCED],
            created_at__gte=week_ago,
        )
        .exclude(kind__in=CREDENTIAL_KINDS)  # their rows are for operators only
        .only("pk", "channel", "kind", "recipient", "last_error", "created_at")
        .order_by("-created_at")[:ATTENTION_LIMIT]
    ]
    return sorted(items, key=lambda item: item.when, reverse=True)


def _call_item(call: Call) -> AttentionItem:
    if call.analysis_status == Call.AnalysisStatus.FAILED:
        kind = "Analysis failed"
    elif call.has_hang:
        kind = "Roxy went silent"
    else:
        kind = "Urgent follow-up"
    return AttentionItem(
        kind,
        f"{call.caller_number or 'Unknown caller'}: {call.summary[:80]}".rstrip(": "),
        call.created_at,
        reverse("admin:calls_call_change", args=[call.pk]),
    )


def _daily_chart(businesses, calls, today_start) -> list[dict]:
    """Calls and bookings per local day for the last CHART_DAYS days, oldest first."""
    since = today_start - dt.timedelta(days=CHART_DAYS - 1)
    tz = timezone.get_current_timezone()
    per_day_calls = _counts_by_day(calls.filter(created_at__gte=since), tz)
    per_day_bookings = _counts_by_day(
        Appointment.objects.filter(business__in=businesses, created_at__gte=since), tz
    )
    days = [(since + dt.timedelta(days=n)).date() for n in range(CHART_DAYS)]
    peak = max([1, *per_day_calls.values(), *per_day_bookings.values()])
    return [_bar_pair(n, day, per_day_calls.get(day, 0), per_day_bookings.get(day, 0), peak)
            for n, day in enumerate(days)]  # fmt: skip


def _bar_pair(index: int, day: dt.date, calls: int, bookings: int, peak: int) -> dict:
    """SVG geometry for one day: two bars side by side in a 10-unit column, 100 units tall."""
    calls_height, bookings_height = (round(100 * n / peak) for n in (calls, bookings))
    return {
        "day": day,
        "calls": calls,
        "bookings": bookings,
        "calls_x": index * 10 + 1,
        "bookings_x": index * 10 + 5,
        "calls_y": 100 - calls_height,
        "bookings_y": 100 - bookings_height,
        "calls_height": calls_height,
        "bookings_height": bookings_height,
    }


def _counts_by_day(queryset, tz) -> dict[dt.date, int]:
    rows = (
        queryset.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}
