"""A manager's reports on one business: calls, bookings and what Roxy cost against
what she booked, per day in the business's time zone, in a constant number of queries.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format

from apps.appointments.models import Appointment
from apps.businesses import roles
from apps.businesses.models import Business
from apps.businesses.tenancy import access_for, scope_to_user
from apps.calls.alerts import HUNG_UP
from apps.calls.analysis import INTENTS
from apps.calls.models import Call, ToolInvocation

PERIODS = (7, 30, 90)
WANTS_A_BOOKING = ("book", "reschedule")
UNBOOKED_SHOWN = 50
ZERO = Decimal(0)

# VAPI's endedReason sorted into what a manager asks: did Roxy deal with the caller?
# The missed-call alert (alerts.is_missed_call) also reads each call's transcript and
# tools; here a hang-up is "early" when it came within MISSED_CALL_MAX_SECONDS. VAPI's
# list of reasons is open: the ones it adds are errors far more often than not, so
# the unknown count as failed.
TRANSFERRED_REASONS = ("assistant-forwarded-call",)
HANDLED_REASONS = (
    "assistant-ended-call",
    "assistant-said-end-call-phrase",
    "exceeded-max-duration",
    "manually-canceled",
)
MISSED_REASONS = ("customer-", "silence-timed-out")


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str  # a palette class in dashboard/reports.css


OUTCOMES = (
    Series("handled", "Answered and handled", "green"),
    Series("transferred", "Transferred to staff", "blue"),
    Series("missed", "Missed or hung up early", "orange"),
    Series("failed", "Voicemail or failed", "red"),
    Series("open", "In progress or unreported", "grey"),
)
# In INTENTS' order (book green, cancel red, complaint orange...), repeated if it grows.
COLOURS = (
    "green",
    "teal",
    "red",
    "blue",
    "purple",
    "yellow",
    "orange",
    "brown",
    "pink",
)
INTENT_SERIES = (
    *(Series(k, k.capitalize(), COLOURS[n % 9]) for n, k in enumerate(INTENTS)),
    Series("", "Not analysed", "grey"),
)
# Intents from an older prompt's vocabulary count as "other"; blank is "not analysed".
_INTENT_KEYS = {*INTENTS, ""}
BOOKINGS = (
    Series("roxy", "Booked by Roxy", "purple"),
    Series("staff", "Booked by staff", "blue"),
    Series("cancelled", "Cancelled since", "grey"),
)


@dataclass(frozen=True)
class Segment:
    series: Series
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    day: dt.date
    x: int
    segments: list[Segment]
    label: str  # under the axis; blank on most days of a long period
    tip: str  # the day's figures, shown on hover


@dataclass(frozen=True)
class Chart:
    title: str
    columns: list[Column]
    legend: list[tuple[Series, int]]
    scale: int  # the value at the top of the plot
    width: int  # of the plot, in SVG units


@dataclass(frozen=True)
class Money:
    cost: Decimal  # what VAPI charged for the period's calls
    value: Decimal  # the prices of the services Roxy booked in the period
    bookings: int  # appointments Roxy booked in the period, not cancelled
    cancelled: int  # appointments Roxy booked in the period, cancelled since
    unpriced: int  # bookings of a service with no price: counted as zero
    uncosted: int  # calls VAPI has not reported a cost for

    @property
    def cost_per_booking(self) -> Decimal | None:
        return self.cost / self.bookings if self.bookings else None

    @property
    def return_multiple(self) -> Decimal | None:
        return self.value / self.cost if self.cost else None


@dataclass(frozen=True)
class Day:
    day: dt.date
    calls: int
    booked_calls: int
    bookings: int  # appointments made that day, by anyone, cancelled since or not
    cost: Decimal

    @property
    def conversion_percent(self) -> int:
        return round(100 * self.booked_calls / self.calls) if self.calls else 0


@dataclass(frozen=True)
class Report:
    business: Business
    days: list[Day]
    outcomes: Chart
    intents: Chart
    bookings: Chart
    money: Money
    unbooked: list[Call]  # the latest UNBOOKED_SHOWN, lead joined
    unbooked_total: int

    @property
    def calls(self) -> int:
        return sum(day.calls for day in self.days)

    @property
    def booked_calls(self) -> int:
        """Calls that led to at least one booking, kept or cancelled since."""
        return sum(day.booked_calls for day in self.days)

    @property
    def conversion_percent(self) -> int:
        return round(100 * self.booked_calls / self.calls) if self.calls else 0


def businesses_for_reports(user) -> QuerySet[Business]:
    """The businesses whose reports the user may read: where their role grants it."""
    return scope_to_user(Business.objects.order_by("name"), user, label=roles.REPORTS)


def may_view_reports(user) -> bool:
    """Whether the user may read the reports of any business (the index links them)."""
    return access_for(user).may_anywhere(roles.REPORTS, roles.VIEW)


def build_report(business: Business, *, days: int) -> Report:
    """The last `days` local days of `business`, today included. Read-only."""
    tz = business.tzinfo
    today = timezone.now().astimezone(tz).date()
    span = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    since = dt.datetime.combine(span[0], dt.time.min, tzinfo=tz)
    calls = Call.objects.filter(business=business, created_at__gte=since)
    figures = _call_figures(calls, business, tz)
    bookings, money = _bookings(business, since, tz)
    rows = [_day(day, figures, bookings) for day in span]
    return Report(
        business=business,
        days=rows,
        outcomes=_chart("Calls by outcome", "calls", OUTCOMES, figures.outcomes, span),
        intents=_chart(
            "Calls by intent", "calls", INTENT_SERIES, figures.intents, span
        ),
        bookings=_chart("Bookings made", "bookings", BOOKINGS, bookings, span),
        money=Money(
            cost=sum((row.cost for row in rows), ZERO),
            value=money["value"],
            bookings=money["roxy"],
            cancelled=money["roxy_cancelled"],
            unpriced=money["unpriced"],
            uncosted=figures.uncosted,
        ),
        unbooked=_latest_unbooked(calls, business, figures.unbooked, tz),
        unbooked_total=figures.unbooked.total(),
    )


@dataclass
class _CallFigures:
    outcomes: dict = field(default_factory=lambda: defaultdict(Counter))
    intents: dict = field(default_factory=lambda: defaultdict(Counter))
    booked: Counter = field(default_factory=Counter)
    cost: dict = field(default_factory=lambda: defaultdict(Decimal))
    uncosted: int = 0
    unbooked: Counter = field(default_factory=Counter)


def _call_figures(calls: QuerySet, business: Business, tz) -> _CallFigures:
    """Every figure about the calls, from one pass over them.

    Outcomes are read here from the few distinct endedReasons, and "did it book" is a
    yes-or-no against id lists PostgreSQL hashes once. Per-call EXISTS subqueries, or
    a text CASE whose groups the planner can't estimate (it then sorts 100,000 rows
    on disk), made this 1.5-10x slower at 100,000 calls.
    """
    booked, moved = _booked_call_ids(business), _moved_call_ids(business)
    quick = Q(duration_seconds__lt=settings.MISSED_CALL_MAX_SECONDS)
    rows = (
        calls.annotate(
            day=TruncDate("created_at", tzinfo=tz),
            short=Q(ended_reason=HUNG_UP) & (quick | Q(duration_seconds=None)),
            booked=Q(pk__in=booked),
            moved=Q(pk__in=moved),
        )
        .values("day", "ended_reason", "short", "intent", "booked", "moved")
        .annotate(
            n=Count("pk"),
            spent=Sum("cost", default=ZERO),
            uncosted=Count("pk", filter=Q(cost__isnull=True)),
        )
        .order_by()
    )
    figures = _CallFigures()
    for row in rows:
        day, n, intent = row["day"], row["n"], row["intent"]
        figures.outcomes[day][_outcome(row["ended_reason"], short=row["short"])] += n
        figures.intents[day][intent if intent in _INTENT_KEYS else "other"] += n
        figures.booked[day] += n if row["booked"] else 0
        figures.cost[day] += row["spent"]
        figures.uncosted += row["uncosted"]
        served = row["booked"] or row["moved"]  # a reschedule keeps its first call
        figures.unbooked[day] += n if intent in WANTS_A_BOOKING and not served else 0
    return figures


def _booked_call_ids(business: Business) -> QuerySet:
    return Appointment.objects.filter(
        business=business, source_call__isnull=False
    ).values("source_call_id")


def _moved_call_ids(business: Business) -> QuerySet:
    return ToolInvocation.objects.filter(
        business=business, name="reschedule_appointment", error=""
    ).values("call_id")


def _outcome(reason: str, *, short: bool) -> str:
    """A call's plain outcome, from VAPI's endedReason (see the reason lists above)."""
    if not reason:
        return "open"
    if reason.startswith(TRANSFERRED_REASONS):
        return "transferred"
    if reason.startswith(HANDLED_REASONS) or (reason == HUNG_UP and not short):
        return "handled"
    if reason.startswith(MISSED_REASONS):
        return "missed"
    return "failed"


def _day(day: dt.date, figures: _CallFigures, bookings: dict) -> Day:
    return Day(
        day=day,
        calls=sum(figures.outcomes.get(day, {}).values()),
        booked_calls=figures.booked.get(day, 0),
        bookings=sum(bookings.get(day, {}).values()),
        cost=figures.cost.get(day, ZERO),
    )


def _bookings(business: Business, since: dt.datetime, tz) -> tuple[dict, dict]:
    """Appointments made each local day, by Roxy (from a call) or by staff; and the
    value of Roxy's, as their services' prices.

    Roxy books during the call, so the bookings made in the period are those of its
    calls; counting them by their own date spares a join back to 100,000 calls.
    """
    cancelled = Q(status=Appointment.Status.CANCELLED)
    roxy = Q(source_call__isnull=False)
    rows = (
        Appointment.objects.filter(business=business, created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(
            roxy=Count("pk", filter=roxy & ~cancelled),
            staff=Count("pk", filter=~roxy & ~cancelled),
            cancelled=Count("pk", filter=cancelled),
            value=Sum("service__price", filter=roxy & ~cancelled, default=ZERO),
            unpriced=Count("pk", filter=roxy & ~cancelled & Q(service__price=None)),
            roxy_cancelled=Count("pk", filter=roxy & cancelled),
        )
        .order_by()
    )
    per_day, money = {}, Counter(value=ZERO)
    for row in rows:
        day = row.pop("day")
        money.update(row)
        per_day[day] = Counter(
            {key: row[key] for key in ("roxy", "staff", "cancelled")}
        )
    return per_day, money


def _latest_unbooked(
    calls: QuerySet, business: Business, per_day: Counter, tz
) -> list[Call]:
    """The latest calls that wanted a booking and got none (neither booked nor moved
    one). The counts by day say how far back to look: a quiet period would otherwise
    be read to its first call to find none."""
    found = 0
    for day in sorted(per_day, reverse=True):
        found += per_day[day]
        if found >= UNBOOKED_SHOWN:
            break
    if not found:
        return []
    since = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    unbooked = (
        calls.filter(created_at__gte=since, intent__in=WANTS_A_BOOKING)
        .exclude(Exists(_booked_call_ids(business).filter(source_call=OuterRef("pk"))))
        .exclude(Exists(_moved_call_ids(business).filter(call=OuterRef("pk"))))
        .select_related("lead")
        .only("pk", "created_at", "caller_number", "intent", "summary", "lead__name")
    )
    return list(unbooked.order_by("-created_at", "-pk")[:UNBOOKED_SHOWN])


COLUMN_WIDTH = 10  # SVG units per day; each bar is 7 of them, centred
LABEL_EVERY = {7: 1, 30: 7, 90: 14}


def _chart(title: str, unit: str, series, per_day: dict, span: list) -> Chart:
    """Stacked bars, one per day, scaled to a round number above the busiest day."""
    scale = _round_up(max(sum(per_day.get(d, {}).values()) for d in span))
    every = LABEL_EVERY.get(len(span), 7)
    columns = []
    for n, day in enumerate(span):
        segments = _stack(series, per_day.get(day, {}), scale)
        total = sum(segment.count for segment in segments)
        parts = ", ".join(f"{s.series.label} {s.count}" for s in segments)
        tip = f"{date_format(day, 'D j M')}: {total} {unit}" + (parts and f" ({parts})")
        labelled = (len(span) - 1 - n) % every == 0
        label = date_format(day, "D j" if every == 1 else "j M") if labelled else ""
        columns.append(Column(day, n * COLUMN_WIDTH, segments, label, tip))
    totals = [(s, sum(per_day.get(d, {}).get(s.key, 0) for d in span)) for s in series]
    # A category with nothing in the period stays off the legend.
    legend = [item for item in totals if item[1]]
    return Chart(title, columns, legend, scale, len(span) * COLUMN_WIDTH)


def _stack(series, counts: dict, scale: int) -> list[Segment]:
    """The day's non-empty series, bottom up, in SVG units of a 100-high plot."""
    segments, running, top = [], 0, 0.0
    for s in series:
        if count := counts.get(s.key, 0):
            running += count
            new_top = round(100 * running / scale, 2)
            segments.append(
                Segment(s, count, round(100 - new_top, 2), round(new_top - top, 2))
            )
            top = new_top
    return segments


def _round_up(peak: int) -> int:
    """The smallest of 2, 4, 6, 8, 10, 20, 40... at or above `peak` (halves stay whole)."""
    magnitude = 1
    while True:
        for step in (2, 4, 6, 8, 10):
            if peak <= step * magnitude:
                return step * magnitude
        magnitude *= 10
