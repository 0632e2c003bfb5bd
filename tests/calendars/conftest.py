import pytest

from apps.calendars.models import CalendarConnection, ConnectedCalendar
from tests.calendars.radicale import PASSWORD, USER, RadicaleServer


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    """One Radicale server for the session, on a free loopback port."""
    server = RadicaleServer(tmp_path_factory.mktemp("radicale")).start()
    yield server
    server.stop()


@pytest.fixture
def caldav_calendar_url(radicale):
    """A fresh, empty calendar collection in Radicale for each test."""
    return radicale.make_calendar()


def connect_caldav(
    provider, calendar_url, radicale, *, business=None, blocks=True, bookings=True
):
    connection = CalendarConnection.objects.create(
        business=business or provider.business,
        provider=provider,
        kind="caldav",
        account=USER,
        server_url=radicale.url,
        status=CalendarConnection.Status.ACTIVE,
    )
    connection.store_credentials({"password": PASSWORD})
    calendar = ConnectedCalendar.objects.create(
        connection=connection,
        remote_id=calendar_url,
        name="Work",
        blocks_time=blocks,
        receives_bookings=bookings,
    )
    return connection, calendar
