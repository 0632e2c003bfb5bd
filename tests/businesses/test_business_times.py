"""Staff read and type every time in the business's own zone, whoever they are."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils.formats import date_format, time_format

from apps.appointments.models import Appointment
from apps.businesses.models import Membership
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# 2031-01-06 15:00 UTC: 09:00 in Chicago, 00:00 next day in Tokyo.
MOMENT = dt.datetime(2031, 1, 6, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def two_zones(client):
    chicago = BusinessFactory(timezone="America/Chicago")
    tokyo = BusinessFactory(timezone="Asia/Tokyo")
    user = UserFactory()
    MembershipFactory(user=user, business=chicago, role=Membership.Role.MANAGER)
    MembershipFactory(user=user, business=tokyo, role=Membership.Role.MANAGER)
    client.force_login(user)
    return client, chicago, tokyo


def _visit(business):
    service = ServiceFactory(business=business)
    return AppointmentFactory(
        business=business,
        service=service,
        provider=ProviderFactory(business=business, services=[service]),
        start_at=MOMENT,
    )


def test_each_row_of_a_list_shows_its_own_businesss_time_labelled(two_zones):
    client, chicago, tokyo = two_zones
    _visit(chicago), _visit(tokyo)
    page = client.get(
        reverse("admin:appointments_appointment_changelist") + "?when=all"
    ).content.decode()
    assert "Mon 6 Jan 2031, 9:00 AM CST" in page
    assert "Tue 7 Jan 2031, 12:00 AM JST" in page
    assert 'class="sortable column-end_at' in page  # the zoned columns still sort


def test_staff_of_one_business_read_its_times_unlabelled(client):
    chicago = BusinessFactory(timezone="America/Chicago")
    client.force_login(
        MembershipFactory(business=chicago, role=Membership.Role.MANAGER).user
    )
    _visit(chicago)
    page = client.get(
        reverse("admin:appointments_appointment_changelist") + "?when=all"
    ).content.decode()
    assert "Mon 6 Jan 2031, 9:00 AM<" in page


def test_a_change_page_shows_and_reads_times_in_the_rows_business_zone(two_zones):
    client, _, tokyo = two_zones
    visit = _visit(tokyo)
    url = reverse("admin:appointments_appointment_change", args=[visit.pk])
    page = client.get(url).content.decode()
    assert "Times on this page are in Asia/Tokyo" in page
    assert 'value="2031-01-07"' in page and 'value="00:00:00"' in page
    assert "at Tue 7 Jan 2031, 12:00 AM" in page  # the title, too
    response = client.post(
        url,
        {
            "service": visit.service_id,
            "provider": visit.provider_id,
            "lead": "",
            "start_at_0": "2031-01-07",
            "start_at_1": "02:00:00",
            "notes": "",
            # A 2031 visit to a business with no opening hours: the zone is tested
            # here, not whether Roxy would offer the time.
            "book_anyway": "on",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.start_at == dt.datetime(2031, 1, 7, 2, tzinfo=TOKYO)


def test_a_new_row_reads_its_times_in_the_zone_of_the_business_chosen(two_zones):
    client, _, tokyo = two_zones
    service = ServiceFactory(business=tokyo)
    provider = ProviderFactory(business=tokyo, services=[service])
    response = client.post(
        reverse("admin:appointments_appointment_add"),
        {
            "business": tokyo.pk,
            "service": service.pk,
            "provider": provider.pk,
            "lead": "",
            "start_at_0": "2031-01-08",
            "start_at_1": "10:00:00",
            "notes": "",
            # A 2031 visit to a business with no opening hours: the zone is tested
            # here, not whether Roxy would offer the time.
            "book_anyway": "on",
        },
    )
    assert response.status_code == 302
    assert Appointment.objects.get().start_at == dt.datetime(
        2031, 1, 8, 10, tzinfo=TOKYO
    )


def test_an_appointments_title_is_in_its_businesss_zone():
    visit = _visit(BusinessFactory(timezone="America/Chicago"))
    assert str(visit).endswith("at Mon 6 Jan 2031, 9:00 AM")


def test_every_staff_page_writes_dates_one_way():
    moment = dt.datetime(2025, 3, 15, 13, 0, tzinfo=CHICAGO)
    assert date_format(moment, "DATETIME_FORMAT") == "Sat 15 Mar 2025, 1:00 PM"
    assert date_format(moment, "SHORT_DATETIME_FORMAT") == "Sat 15 Mar 2025, 1:00 PM"
    assert date_format(moment.date(), "DATE_FORMAT") == "Sat 15 Mar 2025"
    assert date_format(moment.date(), "SHORT_DATE_FORMAT") == "Sat 15 Mar 2025"
    assert time_format(moment.time(), "TIME_FORMAT") == "1:00 PM"
