import datetime as dt

import pytest
from django.urls import reverse

from apps.appointments.models import Appointment
from apps.frontdesk.calendar import Span, load_board
from apps.frontdesk.calendar_grid import grid_of
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderHoursFactory,
    TimeOffFactory,
)
from tests.businesses.factories import (
    ClosureFactory,
)
from tests.frontdesk.salon import at, book, open_salon

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2025, 3, 11)
SPRING_FORWARD = dt.date(2025, 3, 9)  # 02:00 CST becomes 03:00 CDT
FALL_BACK = dt.date(2025, 11, 2)  # 02:00 CDT becomes 01:00 CST


@pytest.fixture
def salon():
    return open_salon()


def column(board, day, provider):
    return next(c for c in board.columns[day] if c.provider.pk == provider.pk)


def booked_spans(board, day, provider) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s, _ in column(board, day, provider).bookings]


def shades(board, day, provider) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.kind) for s in column(board, day, provider).shades]


# --- The selector: where things sit ---


def test_a_block_sits_at_its_local_minutes(salon):
    book(salon, at(TUESDAY, 10, 15))
    board = load_board(salon[0], [TUESDAY])
    assert booked_spans(board, TUESDAY, salon[2]) == [(615, 675)]


def test_on_the_day_clocks_go_forward_blocks_keep_their_wall_clock_place(salon):
    book(salon, at(SPRING_FORWARD, 10))
    book(salon, at(SPRING_FORWARD, 1, 30), provider=salon[3])
    board = load_board(salon[0], [SPRING_FORWARD])
    # Nine hours after midnight, but it reads 10:00 and sits there.
    assert booked_spans(board, SPRING_FORWARD, salon[2]) == [(600, 660)]
    # An hour long, across the skipped hour: 01:30 to 03:30 on the wall.
    assert booked_spans(board, SPRING_FORWARD, salon[3]) == [(90, 210)]


def test_on_the_day_clocks_go_back_a_block_in_the_repeated_hour_keeps_its_length(
    salon,
):
    book(salon, at(FALL_BACK, 1, 30))  # 01:30 CDT, ends 01:30 CST
    book(salon, at(FALL_BACK, 10), provider=salon[3])
    board = load_board(salon[0], [FALL_BACK])
    assert booked_spans(board, FALL_BACK, salon[2]) == [(90, 150)]
    assert booked_spans(board, FALL_BACK, salon[3]) == [(600, 660)]


def test_a_block_past_midnight_shows_on_both_days(salon):
    book(salon, at(TUESDAY, 23, 30))
    wednesday = TUESDAY + dt.timedelta(days=1)
    board = load_board(salon[0], [TUESDAY, wednesday])
    assert booked_spans(board, TUESDAY, salon[2]) == [(1410, 1440)]
    assert booked_spans(board, wednesday, salon[2]) == [(0, 30)]


def test_hours_outside_opening_and_a_providers_own_hours_are_shaded(salon):
    business, _, ana, bo = salon
    ProviderHoursFactory(
        provider=bo,
        weekday=TUESDAY.weekday(),
        opens_at=dt.time(11),
        closes_at=dt.time(15),
    )
    board = load_board(business, [TUESDAY])
    assert shades(board, TUESDAY, ana) == [(0, 540, "closed"), (1020, 1440, "closed")]
    assert shades(board, TUESDAY, bo) == [(0, 660, "closed"), (900, 1440, "closed")]


def test_a_provider_with_no_hours_that_weekday_is_shaded_all_day(salon):
    business, _, _, bo = salon
    ProviderHoursFactory(provider=bo, weekday=(TUESDAY.weekday() + 1) % 7)
    board = load_board(business, [TUESDAY])
    assert shades(board, TUESDAY, bo) == [(0, 1440, "closed")]


def test_time_off_is_shaded_with_its_reason(salon):
    business, _, ana, _ = salon
    TimeOffFactory(
        provider=ana,
        starts_at=at(TUESDAY, 12),
        ends_at=at(TUESDAY, 13, 30),
        reason="Dentist",
    )
    board = load_board(business, [TUESDAY])
    (time_off,) = [
        s for s in column(board, TUESDAY, ana).shades if s.kind == "time_off"
    ]
    assert time_off == Span(720, 810, "time_off", "Dentist")


def test_a_closure_shades_the_whole_day_for_everyone(salon):
    business, _, ana, bo = salon
    ClosureFactory(
        business=business, starts_on=TUESDAY, ends_on=TUESDAY, reason="Inventory"
    )
    wednesday = TUESDAY + dt.timedelta(days=1)
    board = load_board(business, [TUESDAY, wednesday])
    for provider in (ana, bo):
        assert column(board, TUESDAY, provider).shades == [
            Span(0, 1440, "closure", "Closed: Inventory")
        ]
        assert shades(board, wednesday, provider)[0] == (0, 540, "closed")


def test_the_visible_hours_run_from_the_first_opening_to_the_last_booking(salon):
    book(salon, at(TUESDAY, 19, 30))  # after closing, ends 20:30
    board = load_board(salon[0], [TUESDAY])
    assert (board.first_minute, board.last_minute) == (9 * 60, 21 * 60)


def test_cancelled_appointments_show_only_when_asked(salon):
    book(salon, at(TUESDAY, 10), status=Appointment.Status.CANCELLED)
    assert booked_spans(load_board(salon[0], [TUESDAY]), TUESDAY, salon[2]) == []
    board = load_board(salon[0], [TUESDAY], include_cancelled=True)
    assert booked_spans(board, TUESDAY, salon[2]) == [(600, 660)]


def test_an_inactive_provider_shows_only_while_still_booked(salon):
    business, service, ana, bo = salon
    bo.is_active = False
    bo.save()
    assert [p.name for p in load_board(business, [TUESDAY]).providers] == ["Ana"]
    book(salon, at(TUESDAY, 10), provider=bo)
    assert [p.name for p in load_board(business, [TUESDAY]).providers] == ["Ana", "Bo"]


def test_another_business_bookings_never_reach_the_board(salon):
    other = AppointmentFactory(start_at=at(TUESDAY, 10))
    board = load_board(salon[0], [TUESDAY])
    assert other.provider.pk not in {p.pk for p in board.providers}
    assert all(not c.bookings for c in board.columns[TUESDAY])


# --- The grid: rows, lanes, links ---


def grid(board, **kwargs):
    options = {
        "provider_ids": None,
        "may_add": True,
        "may_move": True,
        "here": "/cal/",
        "day_url": lambda day: f"/day/{day}",
    }
    return grid_of(board, **{**options, **kwargs})


def test_blocks_become_grid_rows_from_the_first_visible_hour(salon):
    book(salon, at(TUESDAY, 10, 15))
    (block,) = grid(load_board(salon[0], [TUESDAY])).days[0].columns[0].blocks
    # The day shows from 09:00 in five-minute rows: 10:15 is row 16, an hour 12 rows.
    assert block.css == "fd-block fd-booked r-16 s-12 l1of1"
    assert (block.starts, block.ends) == ("10:15", "11:15")
    html = str(block)
    assert html.startswith('<div class="fd-block fd-booked r-16 s-12 l1of1" title=')
    assert 'draggable="true"' in html and ">Move</a>" in html


def test_overlapping_blocks_share_the_width(salon):
    book(salon, at(TUESDAY, 10), status=Appointment.Status.CANCELLED)
    book(salon, at(TUESDAY, 10, 30))
    book(salon, at(TUESDAY, 14))
    board = load_board(salon[0], [TUESDAY], include_cancelled=True)
    blocks = grid(board).days[0].columns[0].blocks
    assert [b.css.split()[-1] for b in blocks] == ["l1of2", "l2of2", "l1of1"]


def test_only_active_blocks_can_be_moved_and_only_with_the_right(salon):
    book(salon, at(TUESDAY, 10))
    book(salon, at(TUESDAY, 14), status=Appointment.Status.COMPLETED)
    board = load_board(salon[0], [TUESDAY])
    active, done = grid(board).days[0].columns[0].blocks
    assert active.move_url.endswith("?next=%2Fcal%2F")
    assert done.move_url == ""
    (active, _) = grid(board, may_move=False).days[0].columns[0].blocks
    assert active.move_url == ""


def test_empty_cells_link_to_booking_with_the_provider_day_and_time(salon):
    business, _, ana, _ = salon
    cells = grid(load_board(business, [TUESDAY])).days[0].columns[0].cells
    first = cells.split("</a>")[0]
    assert first == (
        f'<a class="fd-cell r-1 s-6" href="{reverse("frontdesk:book")}'
        f"?business={business.pk}&amp;provider={ana.pk}&amp;date=2025-03-11"
        '&amp;time=09%3A00" aria-label="Book Ana on Tue 11 Mar, 09:00">'
    )
    assert cells.count("<a ") == 16  # 09:00 to 17:00 by half hours
    assert (
        grid(load_board(business, [TUESDAY]), may_add=False).days[0].columns[0].cells
        == ""
    )
