"""The calendar as the page draws it: each span of a day as rows of a CSS grid.

The Content-Security-Policy forbids style attributes, so nothing is positioned by
inline CSS: every column is a grid of five-minute rows, and a span is placed with
two classes from frontdesk/calendar.css, `r-<first row>` and `s-<rows spanned>`.
Overlapping blocks (only a cancelled or past visit can overlap another) share the
width in lanes, `l<lane>of<lanes>`.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape, format_html, html_safe
from django.utils.safestring import SafeString, mark_safe

from apps.appointments.models import Appointment
from apps.frontdesk.calendar import Board, Booking, Column, Person, Span

ROW_MINUTES = 5
PK_MARK = 987654321  # stands for the id in an address reversed once per page
MAX_LANES = 4
STATUS_LABELS = dict(Appointment.Status.choices)


@html_safe
@dataclass(frozen=True)
class Block:
    booking: Booking
    css: str
    starts: str
    ends: str
    title: str
    change_url: str
    move_url: str  # empty when it can't be moved from here

    def __str__(self) -> str:
        """The block's markup: a week holds hundreds, too many for template nodes."""
        movable = (
            format_html(' draggable="true" data-move-url="{}"', self.move_url)
            if self.move_url
            else ""
        )
        move = (
            format_html(
                '<a class="fd-move" href="{}" draggable="false">Move</a>', self.move_url
            )
            if self.move_url
            else ""
        )
        return format_html(
            '<div class="{}" title="{}" data-appointment="{}"{}>'
            '<a class="fd-open" href="{}" draggable="false">'
            '<span class="fd-time">{}<span class="fd-ends">–{}</span></span> '
            '<span class="fd-who">{}</span> <span class="fd-what">{}</span></a>{}</div>',
            self.css,
            self.title,
            self.booking.pk,
            movable,
            self.change_url,
            self.starts,
            self.ends,
            self.booking.lead,
            self.booking.service,
            move,
        )


@dataclass(frozen=True)
class ColumnView:
    provider: Person
    day: dt.date
    shades: list[tuple[str, str]]  # (css, label)
    blocks: list[Block]
    cells: SafeString  # links to book each empty slot, or nothing


@dataclass(frozen=True)
class DayView:
    day: dt.date
    url: str  # the day on its own
    columns: list[ColumnView]


@dataclass(frozen=True)
class Grid:
    days: list[DayView]
    hours: list[tuple[str, str]]  # (css, "09:00")
    fill: str  # the css of an item spanning the visible hours, so every column has them
    first_minute: int
    minutes: int


def grid_of(
    board: Board,
    *,
    provider_ids: set[int] | None,
    may_add: bool,
    may_move: bool,
    here: str,
    day_url: Callable[[dt.date], str],
) -> Grid:
    """Lay `board` out, keeping only `provider_ids` (None: everyone). `here` is the
    page's own address, for the move form to come back to."""
    rows = Rows(board.first_minute, board.last_minute)
    links = Links(board, may_add=may_add, may_move=may_move, here=here)
    days = [
        DayView(
            day,
            day_url(day),
            [
                _column_view(column, rows, links)
                for column in board.columns[day]
                if provider_ids is None or column.provider.pk in provider_ids
            ],
        )
        for day in board.days
    ]
    hours = [
        (rows.css(minute, minute + 60), f"{minute // 60:02d}:00")
        for minute in range(board.first_minute, board.last_minute, 60)
    ]
    fill = rows.css(rows.first, rows.last)
    return Grid(days, hours, fill, rows.first, rows.last - rows.first)


class Rows:
    """Minutes of the visible part of the day to grid rows."""

    def __init__(self, first: int, last: int):
        self.first, self.last = first, last

    def css(self, start: int, end: int) -> str:
        start, end = max(start, self.first), min(end, self.last)
        row = (start - self.first) // ROW_MINUTES + 1
        span = max(1, -(-(end - start) // ROW_MINUTES))
        return f"r-{row} s-{span}"

    def shows(self, span: Span) -> bool:
        return span.start < self.last and span.end > self.first


class Links:
    """The addresses a column links to, worked out once per page: a week holds
    hundreds, and reversing each one showed up in the profile."""

    def __init__(self, board: Board, *, may_add: bool, may_move: bool, here: str):
        self.business = board.business
        self.book = reverse("frontdesk:book") if may_add else ""
        self.may_move = may_move
        self.back = urlencode({"next": here})
        self._change = _by_pk("admin:appointments_appointment_change")
        self._move = _by_pk("frontdesk:move-appointment")

    def clock(self, moment: dt.datetime) -> str:
        return f"{moment.astimezone(self.business.tzinfo):%H:%M}"

    def change(self, booking: Booking) -> str:
        return self._change(booking.pk)

    def move(self, booking: Booking) -> str:
        if not (self.may_move and booking.is_active):
            return ""
        return f"{self._move(booking.pk)}?{self.back}"

    def book_in(self, column: Column) -> str:
        """The booking page's address for `column`, but for the time."""
        query = {
            "business": self.business.pk,
            "provider": column.provider.pk,
            "date": column.day.isoformat(),
        }
        return f"{self.book}?{urlencode(query)}&time="


def _by_pk(name: str) -> Callable[[int], str]:
    prefix, suffix = reverse(name, args=[PK_MARK]).split(str(PK_MARK))
    return lambda pk: f"{prefix}{pk}{suffix}"


def _column_view(column: Column, rows: Rows, links: Links) -> ColumnView:
    shades = [
        (f"fd-shade fd-{span.kind} {rows.css(span.start, span.end)}", span.label)
        for span in column.shades
        if rows.shows(span)
    ]
    return ColumnView(
        column.provider,
        column.day,
        shades,
        _blocks(column, rows, links),
        _cells(column, rows, links) if links.book else SafeString(),
    )


def _blocks(column: Column, rows: Rows, links: Links) -> list[Block]:
    placed = [(span, booking) for span, booking in column.bookings if rows.shows(span)]
    lanes = _lanes([span for span, _ in placed])
    blocks = []
    for (span, booking), (lane, of) in zip(placed, lanes, strict=True):
        starts, ends = links.clock(booking.start_at), links.clock(booking.end_at)
        times = f"{starts}–{ends}"
        status = STATUS_LABELS.get(booking.status, booking.status)
        who = booking.lead or "no client"
        blocks.append(
            Block(
                booking,
                css=f"fd-block fd-{booking.status} {rows.css(span.start, span.end)} "
                f"l{lane}of{of}",
                starts=starts,
                ends=ends,
                title=f"{times} {booking.service} with {column.provider.name} "
                f"for {who} ({status})",
                change_url=links.change(booking),
                move_url=links.move(booking),
            )
        )
    return blocks


def _lanes(spans: list[Span]) -> list[tuple[int, int]]:
    """(lane, lanes) for each span (sorted by start): overlapping spans side by side."""
    result: list[tuple[int, int]] = []
    cluster: list[int] = []  # indexes into result of the current overlapping run
    ends: list[int] = []  # each lane's last end in that run
    run_end = 0
    for span in spans:
        if cluster and span.start >= run_end:
            _close(result, cluster, len(ends))
            cluster, ends = [], []
        lane = next((i for i, end in enumerate(ends) if end <= span.start), len(ends))
        if lane == len(ends):
            ends.append(span.end)
        ends[lane] = span.end
        run_end = max(run_end, span.end) if cluster else span.end
        cluster.append(len(result))
        result.append((min(lane, MAX_LANES - 1) + 1, 0))
    _close(result, cluster, len(ends))
    return result


def _close(result: list[tuple[int, int]], cluster: list[int], lanes: int) -> None:
    for index in cluster:
        result[index] = (result[index][0], min(lanes, MAX_LANES))


def _cells(column: Column, rows: Rows, links: Links) -> SafeString:
    """The empty slots as links to book them, as markup: hundreds a week, and as
    template nodes they cost more than the rest of the page."""
    step = links.business.slot_minutes  # the business's own grid (issue #16)
    base = escape(links.book_in(column))
    who = escape(f"Book {column.provider.name} on {date_format(column.day, 'D j M')}")
    # Safe: the names are escaped above, the rest are numbers.
    return mark_safe(
        "".join(
            f'<a class="fd-cell {rows.css(minute, minute + step)}" '
            f'href="{base}{minute // 60:02d}%3A{minute % 60:02d}" '
            f'aria-label="{who}, {_clock(minute)}"></a>'
            for minute in range(rows.first, rows.last, step)
        )
    )


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
