"""Booking by staff stays inside the user's businesses and role, whatever ids are
posted, and costs the same few queries however big the business is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.appointments.models import Appointment
from apps.businesses import roles
from apps.businesses.models import Membership
from apps.leads.models import Lead
from tests.appointments.factories import AppointmentFactory, ProviderFactory
from tests.businesses.factories import MembershipFactory
from tests.core.factories import UserFactory
from tests.frontdesk.test_booking import (
    BOOK,
    NOW,
    THURSDAY,
    at,
    booking,
    open_salon,
    slot_at,
)
from tests.leads.factories import LeadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

SLOTS = reverse("frontdesk:free-slots")
CUSTOMERS = reverse("frontdesk:find-customers")
MARKER = "Zyxwv"  # in every name of the other business


@pytest.fixture
def ours():
    return open_salon("Maison")


@pytest.fixture
def theirs():
    salon = open_salon(MARKER)
    salon.dana.name = f"Dana {MARKER}"
    salon.dana.save()
    return salon


@pytest.fixture
def desk(client, ours, theirs):
    member = MembershipFactory(business=ours.business, role=Membership.Role.FRONT_DESK)
    client.force_login(member.user)
    return client


def test_the_page_offers_nothing_of_another_business(desk, ours, theirs):
    page = desk.get(BOOK, {"q": "Dana"}).content.decode()
    assert "Maison haircut" in page and "Dana Whitfield" in page
    assert MARKER not in page


@pytest.mark.parametrize("field", ["business", "service", "provider"])
def test_another_business_id_in_the_address_shows_nothing(desk, ours, theirs, field):
    foreign = {
        "business": theirs.business.pk,
        "service": theirs.haircut.pk,
        "provider": theirs.ana.pk,
    }
    query = {"date": THURSDAY.isoformat(), field: foreign[field]}
    page = desk.get(BOOK, query)
    slots = desk.get(
        SLOTS,
        {
            "business": ours.business.pk,
            "service": ours.haircut.pk,
            "provider": "",
            **query,
        },
    )
    assert page.status_code == (404 if field == "business" else 200)
    assert MARKER not in page.content.decode()
    assert slots.status_code == 404


def test_customers_of_another_business_are_never_found(desk, ours, theirs):
    mine = desk.get(CUSTOMERS, {"business": ours.business.pk, "q": "(512) 555-0187"})
    other = desk.get(CUSTOMERS, {"business": theirs.business.pk, "q": "Dana"})
    assert [c.pk for c in mine.context["customers"]] == [ours.dana.pk]
    assert other.status_code == 404


@pytest.mark.parametrize("field", ["business", "service", "lead"])
def test_another_business_id_posted_books_nothing(desk, ours, theirs, field):
    slot = slot_at(ours, ours.ana, at(THURSDAY, 10))
    form = booking(ours, slot=slot, lead=ours.dana.pk)
    form[field] = getattr(
        theirs, {"lead": "dana", "service": "haircut"}.get(field, field)
    ).pk

    response = desk.post(BOOK, form)

    assert response.status_code in (200, 404)
    assert MARKER not in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_slot_issued_for_another_business_books_nothing(desk, ours, theirs):
    their_slot = slot_at(theirs, theirs.ana, at(THURSDAY, 10))
    response = desk.post(BOOK, booking(ours, slot=their_slot, lead=ours.dana.pk))
    assert "offered for another service, provider or day" in response.content.decode()
    assert not Appointment.objects.exists()


def test_another_time_with_another_business_provider_books_nothing(desk, ours, theirs):
    form = booking(ours, provider=theirs.ana.pk, time="10:00", lead=ours.dana.pk)
    response = desk.post(BOOK, {**form, "book_anyway": "on"})
    assert "Select a valid choice" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_new_customer_known_to_another_business_is_created_in_ours(
    desk, ours, theirs
):
    stranger = LeadFactory(business=theirs.business, name=MARKER, phone="+15125550111")
    slot = slot_at(ours, ours.ana, at(THURSDAY, 10))

    desk.post(BOOK, booking(ours, slot=slot, name="Sam Rivera", phone="5125550111"))

    sam = Appointment.objects.get().lead
    assert (sam.business, sam.name, sam.phone) == (
        ours.business,
        "Sam Rivera",
        "+15125550111",
    )
    stranger.refresh_from_db()
    assert (stranger.name, stranger.status) == (MARKER, Lead.Status.NEW)


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(BOOK)
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_staff_of_no_business_may_not_book(client, ours):
    client.force_login(UserFactory())
    assert client.get(BOOK).status_code == 403
    assert client.post(BOOK, booking(ours)).status_code == 403


def test_a_role_that_may_not_add_appointments_may_not_book(client, ours, monkeypatch):
    monkeypatch.setitem(
        roles.FRONT_DESK_GRANTS, "appointments.appointment", frozenset({roles.VIEW})
    )
    member = MembershipFactory(business=ours.business, role=Membership.Role.FRONT_DESK)
    client.force_login(member.user)
    slot = slot_at(ours, ours.ana, at(THURSDAY, 10))

    assert client.get(BOOK).status_code == 403
    assert (
        client.post(BOOK, booking(ours, slot=slot, lead=ours.dana.pk)).status_code
        == 403
    )
    assert not Appointment.objects.exists()


def test_a_role_that_may_not_add_customers_books_only_customers_found(
    client, ours, monkeypatch
):
    monkeypatch.setitem(roles.FRONT_DESK_GRANTS, "leads.lead", frozenset({roles.VIEW}))
    member = MembershipFactory(business=ours.business, role=Membership.Role.FRONT_DESK)
    client.force_login(member.user)
    slot = slot_at(ours, ours.ana, at(THURSDAY, 10))

    assert 'name="phone"' not in client.get(BOOK).content.decode()
    refused = client.post(
        BOOK, booking(ours, slot=slot, name="Sam", phone="5125550199")
    )
    assert "does not let you add customers" in refused.content.decode()
    assert not Lead.objects.filter(phone="+15125550199").exists()
    client.post(BOOK, booking(ours, slot=slot, lead=ours.dana.pk))
    assert Appointment.objects.get().lead == ours.dana


def test_a_manager_of_a_second_business_books_there_too(client, ours, theirs):
    user = UserFactory()
    MembershipFactory(
        user=user, business=ours.business, role=Membership.Role.FRONT_DESK
    )
    MembershipFactory(user=user, business=theirs.business, role=Membership.Role.MANAGER)
    client.force_login(user)
    slot = slot_at(theirs, theirs.ben, at(THURSDAY, 10))

    client.post(BOOK, booking(theirs, slot=slot, lead=theirs.dana.pk))

    assert Appointment.objects.get().business == theirs.business


def test_switching_business_shows_the_new_ones_services(client, ours, theirs):
    user = UserFactory()
    for salon in (ours, theirs):
        MembershipFactory(user=user, business=salon.business)
    client.force_login(user)

    response = client.post(
        BOOK,
        {
            "business": theirs.business.pk,
            "service": ours.haircut.pk,  # still selected when the business changed
            "provider": ours.ana.pk,
            "date": THURSDAY.isoformat(),
            "refresh": "times",
        },
    )

    choice = response.context["pick"].choice
    assert (choice.business, choice.service, choice.provider) == (
        theirs.business,
        theirs.haircut,
        None,
    )


def _queries(client, method: str, url: str, data: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code in (200, 302), response
    return len(captured)


def _grow(salon, n: int) -> None:
    """More providers, customers and bookings than before."""
    for i in range(n):
        provider = ProviderFactory(
            business=salon.business, name=f"Extra {i}", services=[salon.haircut]
        )
        AppointmentFactory(
            business=salon.business,
            service=salon.haircut,
            provider=provider,
            start_at=at(THURSDAY, 9 + i % 7),
        )
        LeadFactory(business=salon.business, name=f"Dana Extra {i}")


def test_the_pages_cost_the_same_queries_however_big_the_business(desk, ours):
    requests = [
        ("get", BOOK, {"date": THURSDAY.isoformat(), "time": "10:00", "q": "Dana"}),
        (
            "get",
            SLOTS,
            {
                "business": ours.business.pk,
                "service": ours.haircut.pk,
                "provider": "",
                "date": THURSDAY.isoformat(),
            },
        ),
        ("get", CUSTOMERS, {"business": ours.business.pk, "q": "Dana"}),
    ]
    for request in requests:  # the first request of a session costs a few more
        _queries(desk, *request)
    small = [_queries(desk, *request) for request in requests]
    _grow(ours, 12)
    assert [_queries(desk, *request) for request in requests] == small


def test_booking_costs_the_same_queries_however_big_the_business(desk, ours):
    def book(phone: str, hour: int) -> int:
        slot = slot_at(ours, ours.ben, at(THURSDAY, hour))
        form = booking(ours, slot=slot, name="Walk In", phone=phone, q="Dana")
        return _queries(desk, "post", BOOK, form)

    desk.get(BOOK)  # the first request of a session costs a few more
    small = book("5125550101", 10)
    _grow(ours, 12)
    assert book("5125550102", 12) == small
