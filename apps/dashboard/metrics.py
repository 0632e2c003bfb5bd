"""The figures on the staff dashboard, for a set of businesses, in a constant number of queries."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.businesses.models import Business
from apps.calls.analysis import URGENT_FOLLOW_UPS
from apps.calls.models import Call
from apps.leads.models import CallbackRequest, Lead
from apps.notifications import consent
from apps.notifications.models import CREDENTIAL_KINDS, Notification
from apps.texting.models import Conversation

CHART_DAYS = 14
ATTENTION_LIMIT = 8
VISITS_LIMIT = 40

Zones = dict[str, list[int]]  # time zone name -> ids of the businesses in it


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
    phone: str = ""  # shown in `business`'s format
    business: Business | None = None
    texting: bool = True
    # A callback request's: `when` is its due time, and who is on it.
    is_due: bool = False
    is_overdue: bool = False
    owner: str = ""


def dashboard(businesses: QuerySet) -> dict:
    """Everything the admin index shows for these businesses (a values("pk") queryset).

    "Today" is each business's own day, in its time zone.
    """
    now = timezone.now()
    zones = _zones(businesses)
    calls = Call.objects.filter(business__in=businesses)
    chart_zone = (
        zoneinfo.ZoneInfo(next(iter(zones)))
        if len(zones) == 1
        else timezone.get_current_timezone()
    )
    return {
        "today": _today(businesses, calls, zones, now),
        "visits": _visits_today(businesses, zones, now),
        "several_businesses": sum(len(ids) for ids in zones.values()) > 1,
        "conversion": _conversions(calls, now=timezone.now(), windows=(7, 30)),
        "attention": _needs_attention(businesses, calls, zones, now),
        "chart": _daily_chart(businesses, calls, now.astimezone(chart_zone)),
    }


def _zones(businesses) -> Zones:
    zones: Zones = {}
    for pk, name in Business.objects.filter(pk__in=businesses).values_list(
        "pk", "timezone"
    ):
        zones.setdefault(name, []).append(pk)
    return zones


def local_day(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Midnight to midnight of `day` on `tz`'s wall clock (23 or 25 hours on the days
    the clocks change)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def _local_today(name: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(name)
    return local_day(now.astimezone(tz).date(), tz)


def _today_in_each_zone(zones: Zones, now: dt.datetime, field: str) -> Q:
    """Rows whose `field` falls on today in their own business's zone: one condition
    per zone, however many businesses."""
    today = Q(pk__in=[])
    for name, ids in zones.items():
        start, end = _local_today(name, now)
        today |= Q(business_id__in=ids, **{f"{field}__gte": start, f"{field}__lt": end})
    return today


def _today(businesses, calls, zones: Zones, now: dt.datetime) -> dict[str, int]:
    visits = _today_in_each_zone(zones, now, "start_at") & ~Q(
        status=Appointment.Status.CANCELLED
    )
    booked = _today_in_each_zone(zones, now, "created_at")
    appointments = (
        Appointment.objects.filter(business__in=businesses)
        .filter(visits | booked)
        .aggregate(
            visits=Count("pk", filter=visits), bookings_made=Count("pk", filter=booked)
        )
    )
    return {
        "calls": calls.filter(_today_in_each_zone(zones, now, "created_at")).count(),
        "new_leads": Lead.objects.filter(business__in=businesses)
        .filter(_today_in_each_zone(zones, now, "created_at"))
        .count(),
        **appointments,
    }


def _visits_today(businesses, zones: Zones, now: dt.datetime) -> list[Appointment]:
    """Today's appointments, cancelled ones left out, in the order they start."""
    return list(
        Appointment.objects.filter(business__in=businesses)
        .filter(_today_in_each_zone(zones, now, "start_at"))
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("business", "service", "provider", "lead")
        .annotate(takes_texts=consent.takes_texts(phone="lead__phone", lead="lead"))
        .order_by("start_at", "pk")[:VISITS_LIMIT]
    )


def _conversions(
    calls, *, now: dt.datetime, windows: tuple[int, ...]
) -> list[Conversion]:
    """Calls in each window, and how many of them booked an appointment: two queries.

    The bookings are counted from the appointments' side (thousands of rows) rather
    than by joining every call of the window to them and counting distinct calls,
    which sorted the window's calls once per window.
    """
    since = {days: now - dt.timedelta(days=days) for days in windows}
    call_counts = calls.filter(created_at__gte=min(since.values())).aggregate(
        **{
            str(days): Count("pk", filter=Q(created_at__gte=start))
            for days, start in since.items()
        }
    )
    booked_counts = Appointment.objects.filter(
        source_call__in=calls.filter(created_at__gte=min(since.values()))
    ).aggregate(
        **{
            str(days): Count(
                "source_call",
                filter=Q(source_call__created_at__gte=start),
                distinct=True,
            )
            for days, start in since.items()
        }
    )
    return [
        Conversion(
            days=days, calls=call_counts[str(days)], booked=booked_counts[str(days)]
        )
        for days in windows
    ]


def _needs_attention(businesses, calls, zones, now) -> list[AttentionItem]:
    """Callback requests due by the end of today (overdue first), then what went
    wrong lately, newest first."""
    week_ago = now - dt.timedelta(days=7)
    flagged = (
        calls.filter(
            Q(analysis__follow_up_urgency__in=URGENT_FOLLOW_UPS)
            | Q(analysis_status=Call.AnalysisStatus.FAILED)
            | Q(has_hang=True),
            created_at__gte=week_ago,
        )
        .select_related("business")
        .only(
            "pk",
            "caller_number",
            "created_at",
            "analysis_status",
            "has_hang",
            "summary",
            "business__phone",
            "business__transfer_number",
        )
        .order_by("-created_at")[:ATTENTION_LIMIT]
    )
    items = [_call_item(call) for call in flagged]
    items += [
        AttentionItem(
            "Failed notification",
            f"{n.get_channel_display()} {n.kind} to {n.recipient}: {n.last_error[:60]}",
            n.created_at,
            reverse("admin:notifications_notification_change", args=[n.pk]),
        )
        for n in Notification.objects.filter(
            business__in=businesses,
            status__in=[
                Notification.Status.FAILED,
                Notification.Status.BOUNCED,
                Notification.Status.UNDELIVERED,
            ],
            created_at__gte=week_ago,
        )
        .exclude(kind__in=CREDENTIAL_KINDS)  # their rows are for operators only
        .only("pk", "channel", "kind", "recipient", "last_error", "created_at")
        .order_by("-created_at")[:ATTENTION_LIMIT]
    ]
    items += _text_items(businesses)
    items.sort(key=lambda item: item.when, reverse=True)
    return [_callback_item(c, now) for c in _callbacks_due(zones, now)] + items


def _text_items(businesses) -> list[AttentionItem]:
    """Customers' texts a person must answer (issue #14: two-way texting)."""
    waiting = (
        Conversation.objects.filter(business__in=businesses, needs_attention=True)
        .select_related("business", "lead")
        .order_by("-last_inbound_at")[:ATTENTION_LIMIT]
    )
    return [
        AttentionItem(
            "Text to answer",
            f"{conversation}: {conversation.attention_reason[:80]}",
            conversation.last_inbound_at or conversation.updated_at,
            reverse("admin:texting_conversation_change", args=[conversation.pk]),
            phone=conversation.phone,
            business=conversation.business,
        )
        for conversation in waiting
    ]


def _callbacks_due(zones: Zones, now: dt.datetime) -> list[CallbackRequest]:
    """Open requests due by the end of each business's own today."""
    due = CallbackRequest.objects.none()
    for name, ids in zones.items():
        _, end_of_today = _local_today(name, now)
        due |= CallbackRequest.objects.due_by(end_of_today).filter(business_id__in=ids)
    return list(
        due.select_related("business", "lead", "assigned_to")
        .annotate(takes_texts=consent.takes_texts(phone="callback_number", lead="lead"))
        .order_by(F("due_at").asc(nulls_first=True), "created_at")[:ATTENTION_LIMIT]
    )


def _callback_item(callback: CallbackRequest, now: dt.datetime) -> AttentionItem:
    owner = callback.assigned_to
    return AttentionItem(
        "Callback",
        f"{callback.name or callback.callback_number}: {callback.message[:80]}",
        callback.due,
        reverse("admin:leads_callbackrequest_change", args=[callback.pk]),
        is_due=True,
        is_overdue=callback.is_overdue(now),
        owner=(owner.get_full_name() or owner.get_username()) if owner else "",
        phone=callback.callback_number,
        business=callback.business,
        texting=consent.row_takes_texts(
            callback, callback.business_id, callback.callback_number, callback.lead
        ),
    )


def _call_item(call: Call) -> AttentionItem:
    if call.analysis_status == Call.AnalysisStatus.FAILED:
        kind = "Analysis failed"
    elif call.has_hang:
        kind = "Roxy went silent"
    else:
        kind = "Urgent follow-up"
    return AttentionItem(
        kind,
        call.summary[:80] or ("A call" if call.caller_number else "Unknown caller"),
        call.created_at,
        reverse("admin:calls_call_change", args=[call.pk]),
        phone=call.caller_number,
        business=call.business,
    )


def _daily_chart(businesses, calls, local_now: dt.datetime) -> list[dict]:
    """Calls and bookings made per day for the last CHART_DAYS days, oldest first, in
    the businesses' zone (the site's when they span several)."""
    tz = local_now.tzinfo
    today = local_now.date()
    since = dt.datetime.combine(
        today - dt.timedelta(days=CHART_DAYS - 1), dt.time(), tzinfo=tz
    )
    per_day_calls = _counts_by_day(calls.filter(created_at__gte=since), tz)
    per_day_bookings = _counts_by_day(
        Appointment.objects.filter(business__in=businesses, created_at__gte=since), tz
    )
    days = [since.date() + dt.timedelta(days=n) for n in range(CHART_DAYS)]
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
