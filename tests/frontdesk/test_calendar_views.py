import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.appointments.models import Appointment
from apps.businesses import roles
from apps.businesses.models import Membership
from tests.appointments.factories import (
    ProviderFactory,
    TimeOffFactory,
)
from tests.businesses.factories import (
    BusinessFactory,
    MembershipFactory,
)
from tests.core.factories import UserFactory
from tests.frontdesk.salon import CHICAGO, at, book, open_salon
from tests.leads.factories import LeadFactory

TUESDAY = dt.date(2025, 3, 11)
Role = Membership.Role

pytestmark = [
    pytest.mark.django_db,
    # A Wednesday: the calendar opens on the week of Monday 3 March.
    pytest.mark.time_machine(dt.datetime(2025, 3, 5, 12, tzinfo=CHICAGO), tick=False),
]


@pytest.fixture
def salon():
    return open_salon()


def staff(business, role=Role.FRONT_DESK, username="desk"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, business=business, role=role)
    return user


def calendar_url(**query) -> str:
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"{reverse('frontdesk:calendar')}?{params}"


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.MANAGER])
def test_front_desk_and_managers_see_the_week_and_may_move(client, salon, role):
    business, _, ana, _ = salon
    appointment = book(
        salon,
        at(TUESDAY, 10),
        lead=LeadFactory(business=business, name="Dana Whitfield"),
    )
    client.force_login(staff(business, role))
    response = client.get(calendar_url(date="2025-03-12"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dana Whitfield" in page
    assert (
        reverse("admin:appointments_appointment_change", args=[appointment.pk]) in page
    )
    assert (
        f'<div class="fd-block fd-booked r-13 s-12 l1of1" '
        f'title="10:00–11:00 Haircut with Ana for Dana Whitfield (Booked)" '
        f'data-appointment="{appointment.pk}" draggable="true" '
        f'data-move-url="{reverse("frontdesk:move-appointment", args=[appointment.pk])}?'
    ) in page
    assert 'id="fd-move-dialog"' in page
    assert "frontdesk/calendar.js" in page and "style=" not in page
    assert page.count('<section class="fd-day') == 7  # Monday 10 to Sunday 16 March


def test_the_day_view_shows_one_day(client, salon):
    client.force_login(staff(salon[0]))
    page = client.get(calendar_url(date="2025-03-11", view="day")).content.decode()
    assert page.count('<section class="fd-day') == 1
    assert "Tuesday 11 March 2025" in page


def test_without_the_change_right_nothing_can_be_moved(client, salon, monkeypatch):
    business, *_ = salon
    appointment = book(salon, at(TUESDAY, 10))
    read_only = {**roles.FRONT_DESK_GRANTS, "appointments.appointment": {roles.VIEW}}
    monkeypatch.setitem(roles.GRANTS, Role.FRONT_DESK, read_only)
    client.force_login(staff(business))
    page = client.get(calendar_url(date="2025-03-11")).content.decode()
    assert (
        reverse("admin:appointments_appointment_change", args=[appointment.pk]) in page
    )
    assert reverse("frontdesk:move-appointment", args=[appointment.pk]) not in page
    assert 'draggable="true"' not in page and "fd-move-dialog" not in page
    assert reverse("frontdesk:book") not in page  # nor add one


def test_staff_of_another_business_see_only_their_own_even_when_they_ask(client, salon):
    business, *_ = salon
    book(
        salon, at(TUESDAY, 10), lead=LeadFactory(business=business, name="Zyxwv Client")
    )
    mine = BusinessFactory(name="Elsewhere")
    client.force_login(staff(mine))
    page = client.get(calendar_url(business=business.pk, date="2025-03-11"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Elsewhere" in text
    assert "Zyxwv" not in text and "Maison Belle" not in text and "Ana" not in text


def test_without_a_business_in_the_link_it_opens_on_the_switchers_choice(client, salon):
    business, *_ = salon
    book(
        salon,
        at(TUESDAY, 10),
        lead=LeadFactory(business=business, name="Dana Whitfield"),
    )
    first_by_name = BusinessFactory(name="Aardvark Dental")
    user = staff(business)
    MembershipFactory(user=user, business=first_by_name, role=Role.FRONT_DESK)
    client.force_login(user)
    client.post(reverse("businesses:switch"), {"switcher-business": business.pk})

    page = client.get(calendar_url(date="2025-03-11"))

    assert "Dana Whitfield" in page.content.decode()


def test_staff_of_no_business_see_an_empty_page(client, salon):
    client.force_login(UserFactory(username="nobody"))
    response = client.get(calendar_url(business=salon[0].pk))
    assert response.status_code == 200
    assert "no business whose appointments you can see" in response.content.decode()


def test_an_operator_sees_any_business(client, salon):
    book(
        salon,
        at(TUESDAY, 10),
        lead=LeadFactory(business=salon[0], name="Dana Whitfield"),
    )
    client.force_login(UserFactory(username="root", is_superuser=True))
    page = client.get(calendar_url(business=salon[0].pk, date="2025-03-11"))
    assert "Dana Whitfield" in page.content.decode()


def test_the_calendar_needs_a_staff_login(client, salon):
    response = client.get(calendar_url())
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_a_provider_picked_is_the_only_column(client, salon):
    business, _, ana, bo = salon
    client.force_login(staff(business))
    page = client.get(calendar_url(date="2025-03-11", view="day", provider=bo.pk))
    text = page.content.decode()
    assert f'<div class="fd-col" data-provider="{bo.pk}">' in text
    assert f'<div class="fd-col" data-provider="{ana.pk}">' not in text
    assert "fd-single" in text


def test_a_provider_or_date_that_makes_no_sense_is_ignored(client, salon):
    business, _, ana, bo = salon
    foreign = ProviderFactory()
    client.force_login(staff(business))
    page = client.get(
        calendar_url(date="tomorrow", provider=foreign.pk)
    ).content.decode()
    assert f'data-provider="{ana.pk}"' in page and f'data-provider="{bo.pk}"' in page
    assert "Mon 3 Mar" in page  # this week: today is Wednesday 5 March
    odd = client.get(calendar_url(date="0001-01-01")).content.decode()
    assert "Mon 3 Mar" in odd


def test_the_week_reads_a_fixed_number_of_queries(client, salon):
    business, service, ana, bo = salon
    client.force_login(staff(business))
    url = calendar_url(date="2025-03-11")

    monday = at(TUESDAY - dt.timedelta(days=1), 0)
    client.get(url)  # the session's first request looks up its time zone

    def queries_with(bookings: int) -> int:
        Appointment.objects.all().delete()
        for n in range(bookings):  # all within the week, both providers
            book(
                salon,
                monday + dt.timedelta(hours=n // 2),
                provider=(ana, bo)[n % 2],
                lead=LeadFactory(business=business),
            )
        TimeOffFactory(provider=ana, starts_at=at(TUESDAY, 12), ends_at=at(TUESDAY, 13))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).content.decode().count("fd-block ") == bookings
        return len(queries)

    # The board's five, and the admin's own six (session, user, roles, the
    # user's businesses, the navigation's permissions).
    assert queries_with(5) == queries_with(200) == 11
