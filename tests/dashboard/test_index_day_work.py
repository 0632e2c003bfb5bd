"""The admin index as front desk staff see it: today's visits and the callbacks due."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon():
    return BusinessFactory(name="Maison Belle")


@pytest.fixture
def desk(client, salon):
    user = MembershipFactory(
        business=salon, user__first_name="Fran", user__last_name="Desk"
    ).user
    client.force_login(user)
    return client


def _today_in(business, hour=12):
    return dt.datetime.combine(
        business.local_now().date(), dt.time(hour), tzinfo=business.tzinfo
    )


def _visit(business, name, phone, hour=12):
    lead = LeadFactory(business=business, name=name, phone=phone)
    return AppointmentFactory(
        business=business, lead=lead, start_at=_today_in(business, hour)
    )


def _index(client):
    return client.get(reverse("admin:index")).content.decode()


def test_the_dashboard_lists_today_s_visits_with_time_customer_and_a_dial_link(
    desk, salon
):
    visit = _visit(salon, "Dana Whitfield", "+15125550187", hour=14)

    page = _index(desk)

    visits = page[page.index('id="vh-visits"') :]
    visits = visits[: visits.index("</section>")]
    assert date_format(_today_in(salon, 14), "TIME_FORMAT") in visits  # salon's clock
    assert "Dana Whitfield" in visits
    assert visit.service.name in visits and visit.provider.name in visits
    assert "Booked" in visits
    assert 'href="tel:+15125550187">(512) 555-0187</a>' in visits
    assert reverse("admin:appointments_appointment_change", args=[visit.pk]) in visits
    assert 'href="/static/dashboard/daywork.css"' in page


def test_visits_today_and_bookings_made_today_are_labelled_apart(desk, salon):
    page = _index(desk)

    assert "visits today" in page
    assert "bookings made today" in page
    assert "bookings today" not in page


def test_a_callback_due_shows_its_owner_and_a_dial_link(desk, salon):
    owner = MembershipFactory(
        business=salon, user__first_name="Olly", user__last_name="Owner"
    ).user
    CallbackRequestFactory(
        business=salon,
        name="Olive",
        assigned_to=owner,
        due_at=timezone.now() - dt.timedelta(hours=1),
    )

    page = _index(desk)

    attention = page[page.index("Needs attention") :]
    assert "Olly Owner" in attention
    assert "vh-overdue" in attention
    assert 'href="tel:+15125550187"' in attention


def test_front_desk_never_sees_another_business_s_visits_or_callbacks(desk, salon):
    elsewhere = BusinessFactory(name="Zyxwv Studio")
    _visit(elsewhere, "Zyxwv Visitor", "+15125550111")
    CallbackRequestFactory(business=elsewhere, name="Zyxwv Caller")

    page = _index(desk)

    assert "Zyxwv" not in page
    assert "No visits today." in page


def test_the_index_costs_the_same_queries_whatever_the_day_s_volume(
    desk, salon, django_assert_max_num_queries
):
    _visit(salon, "First", "+15125550101")
    CallbackRequestFactory(business=salon)
    with django_assert_max_num_queries(40) as few:
        _index(desk)
    for n in range(15):
        _visit(salon, f"Visitor {n}", f"+1512555{1200 + n}", hour=9 + n % 8)
        CallbackRequestFactory(
            business=salon, assigned_to=MembershipFactory(business=salon).user
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        _index(desk)
