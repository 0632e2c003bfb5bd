"""The staff calendar shades what the providers' own calendars say is busy."""

import datetime as dt

import pytest

from apps.calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar
from apps.frontdesk.calendar import OUTSIDE_LABEL, load_board
from tests.roxy.salon import CHICAGO, SATURDAY, build_salon

pytestmark = pytest.mark.django_db


def test_outside_busy_time_is_shaded_on_the_board():
    salon = build_salon()
    connection = CalendarConnection.objects.create(
        business=salon.business, provider=salon.maria, kind="caldav", status="active"
    )
    calendar = ConnectedCalendar.objects.create(
        connection=connection, remote_id="/c/", blocks_time=True
    )
    start = dt.datetime.combine(SATURDAY, dt.time(11), CHICAGO)
    BusyBlock.objects.create(
        calendar=calendar,
        business=salon.business,
        provider=salon.maria,
        remote_id="x",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )
    board = load_board(salon.business, [SATURDAY])
    columns = {c.provider.name: c for c in board.columns[SATURDAY]}
    maria = [s for s in columns["Maria"].shades if s.label == OUTSIDE_LABEL]
    assert [(s.start, s.end) for s in maria] == [(11 * 60, 12 * 60)]
    assert not [s for s in columns["Jess"].shades if s.label == OUTSIDE_LABEL]
