"""Booking by staff: the free slots are the engine's, a slot or a new customer books in
a few clicks, and nothing Roxy would not offer is booked without an explicit override."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils.formats import time_format

from apps.appointments import services as appointment_services
from apps.appointments.availability import Schedule
from apps.appointments.models import Appointment, Provider, Service
from apps.businesses.models import Business, Membership
from apps.leads.models import Lead
from apps.notifications.models import Notification
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import (
    BusinessFactory,
    ClosureFactory,
    MembershipFactory,
    OpeningHoursFactory,
)
from tests.leads.factories import LeadFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# A Wednesday morning; the studio opens Tuesday to Saturday, 9 to 5.
NOW = dt.datetime(2026, 3, 4, 8, tzinfo=CHICAGO)
THURSDAY = dt.date(2026, 3, 5)
MONDAY = dt.date(2026, 3, 9)
BOOK = reverse("frontdesk:book")

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@dataclass
class Salon:
    business: Business
    haircut: Service
    ana: Provider
    ben: Provider
    dana: Lead


def open_salon(name: str = "Maison") -> Salon:
    business = BusinessFactory(name=name, timezone="America/Chicago")
    for weekday in range(1, 6):
        OpeningHoursFactory(
            business=business,
            weekday=weekday,
            opens_at=dt.time(9),
            closes_at=dt.time(17),
        )
    haircut = ServiceFactory(business=business, name=f"{name} haircut")
    return Salon(
        business=business,
        haircut=haircut,
        ana=ProviderFactory(business=business, name=f"{name} Ana", services=[haircut]),
        ben=ProviderFactory(business=business, name=f"{name} Ben", services=[haircut]),
        dana=LeadFactory(
            business=business, name="Dana Whitfield", phone="+15125550187"
        ),
    )


def booking(salon: Salon, **fields) -> dict:
    """What the page posts when staff press Book."""
    return {
        "business": salon.business.pk,
        "service": salon.haircut.pk,
        "provider": "",
        "date": THURSDAY.isoformat(),
        "book": "Book",
        **fields,
    }


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def slot_at(salon: Salon, provider: Provider, start_at: dt.datetime) -> str:
    """The slot id the engine issues for that time."""
    return Schedule(salon.haircut, provider=provider).slot_at(start_at).slot_id


@pytest.fixture
def salon() -> Salon:
    return open_salon()


@pytest.fixture
def desk(client, salon):
    """A front-desk member of the salon, logged in."""
    member = MembershipFactory(business=salon.business, role=Membership.Role.FRONT_DESK)
    client.force_login(member.user)
    return client


def offered_ids(times) -> list[str]:
    return [slot.slot_id for group in times for slot in group.slots]


def test_the_page_offers_exactly_the_engines_free_slots(desk, salon):
    AppointmentFactory(
        business=salon.business,
        service=salon.haircut,
        provider=salon.ana,
        start_at=at(THURSDAY, 11),
    )
    engine = Schedule(salon.haircut).free_slots(THURSDAY, THURSDAY)

    page = desk.get(BOOK, {"date": THURSDAY.isoformat()})
    fragment = desk.get(
        reverse("frontdesk:free-slots"),
        {
            "business": salon.business.pk,
            "service": salon.haircut.pk,
            "provider": "",
            "date": THURSDAY.isoformat(),
        },
    )

    assert sorted(offered_ids(page.context["times"])) == sorted(
        s.slot_id for s in engine
    )
    assert at(THURSDAY, 11) not in [
        s.start_at for s in engine if s.provider_id == salon.ana.pk
    ]
    for slot in engine:
        assert f'value="{slot.slot_id}"' in page.content.decode()
        assert f'value="{slot.slot_id}"' in fragment.content.decode()
    nine = time_format(dt.time(9), "TIME_FORMAT")
    assert f"<span>{nine}</span>" in fragment.content.decode()  # the studio's clock


def test_booking_a_slot_books_it_and_queues_the_customers_confirmation(
    desk, salon, deliveries
):
    slot = slot_at(salon, salon.ben, at(THURSDAY, 10))

    response = desk.post(BOOK, booking(salon, slot=slot, lead=salon.dana.pk))

    appointment = Appointment.objects.get()
    assert (appointment.provider, appointment.start_at) == (salon.ben, at(THURSDAY, 10))
    assert appointment.lead == salon.dana
    assert response.status_code == 302
    assert response.url.startswith(BOOK) and "date=2026-03-05" in response.url
    assert Notification.objects.filter(
        appointment=appointment, kind="booking_confirmation"
    ).exists()
    salon.dana.refresh_from_db()
    assert salon.dana.status == Lead.Status.BOOKED  # as Roxy's bookings move it


def test_a_walk_in_is_booked_for_a_new_customer_created_on_the_spot(desk, salon):
    slot = slot_at(salon, salon.ana, at(THURSDAY, 14))

    desk.post(
        BOOK,
        booking(
            salon,
            slot=slot,
            name="  Sam   Rivera ",
            phone="(512) 555-0199",
            email="sam@example.com",
        ),
    )

    sam = Lead.objects.get(phone="+15125550199")
    assert (sam.business, sam.name, sam.email, sam.source) == (
        salon.business,
        "Sam Rivera",
        "sam@example.com",
        Lead.Source.MANUAL,
    )
    assert Appointment.objects.get().lead == sam
    assert Notification.objects.filter(lead=sam, kind="booking_confirmation").exists()


def test_a_new_customer_with_a_known_number_is_pointed_to_the_customer(desk, salon):
    slot = slot_at(salon, salon.ana, at(THURSDAY, 14))

    response = desk.post(
        BOOK, booking(salon, slot=slot, name="Dana W", phone="512 555 0187")
    )

    assert "(512) 555-0187 is already Dana Whitfield&#x27;s number" in (
        response.content.decode()
    )
    assert [c.pk for c in response.context["customers"]] == [salon.dana.pk]
    assert not Appointment.objects.exists()
    assert Lead.objects.count() == 1


def test_a_slot_lost_meanwhile_books_nothing_and_creates_no_customer(
    desk, salon, mocker
):
    mocker.patch.object(
        appointment_services,
        "book_appointment",
        side_effect=appointment_services.SlotTakenError("taken"),
    )
    slot = slot_at(salon, salon.ana, at(THURSDAY, 14))

    response = desk.post(
        BOOK, booking(salon, slot=slot, name="Sam Rivera", phone="5125550199")
    )

    assert "was booked then a moment ago" in response.content.decode()
    assert not Lead.objects.filter(phone="+15125550199").exists()


@pytest.mark.parametrize(
    "typed",
    ["(512) 555-0187", "512-555-0187", "5125550187", "+1 512 555 0187", "512.555.0187"],
)
def test_a_phone_typed_any_way_finds_the_customer(desk, salon, typed):
    LeadFactory(business=salon.business, name="Other", phone="+15125550100")
    response = desk.get(
        reverse("frontdesk:find-customers"),
        {"business": salon.business.pk, "q": typed},
    )
    assert [c.pk for c in response.context["customers"]] == [salon.dana.pk]
    assert "Dana Whitfield" in response.content.decode()


@pytest.mark.parametrize("typed", ["0187", "555-01", "whit", "DANA W"])
def test_part_of_a_number_or_a_name_finds_the_customer(desk, salon, typed):
    response = desk.get(BOOK, {"q": typed})
    assert [c.pk for c in response.context["customers"]] == [salon.dana.pk]


def test_a_search_too_short_to_use_an_index_says_so(desk, salon):
    response = desk.get(
        reverse("frontdesk:find-customers"), {"business": salon.business.pk, "q": "Da"}
    )
    assert response.context["customers"] == []
    assert "type at least three letters or digits" in response.content.decode()


@pytest.mark.parametrize(
    ("day", "time", "reason"),
    [
        (THURSDAY, "17:05", "outside Maison Ana&#x27;s working hours"),
        (THURSDAY, "03:00", "outside Maison Ana&#x27;s working hours"),
        (MONDAY, "10:00", "outside Maison Ana&#x27;s working hours"),  # closed Mondays
        (dt.date(2026, 3, 3), "10:00", "It is in the past."),
    ],
)
def test_another_time_roxy_would_not_offer_needs_book_anyway(
    desk, salon, day, time, reason
):
    form = booking(
        salon,
        provider=salon.ana.pk,
        date=day.isoformat(),
        time=time,
        lead=salon.dana.pk,
    )

    refused = desk.post(BOOK, form)

    assert refused.status_code == 200
    assert "Not a time Roxy would offer" in refused.content.decode()
    assert reason in refused.content.decode()
    assert refused.context["form"].needs_override
    assert not Appointment.objects.exists()

    assert desk.post(BOOK, {**form, "book_anyway": "on"}).status_code == 302
    hour, minute = map(int, time.split(":"))
    assert Appointment.objects.get().start_at == at(day, hour, minute)


def test_a_closure_needs_book_anyway(desk, salon):
    ClosureFactory(business=salon.business, starts_on=THURSDAY, ends_on=THURSDAY)
    form = booking(salon, provider=salon.ana.pk, time="10:00", lead=salon.dana.pk)

    refused = desk.post(BOOK, form)

    assert "The business is closed on Thursday 5 March." in refused.content.decode()
    assert not Appointment.objects.exists()
    assert desk.post(BOOK, {**form, "book_anyway": "on"}).status_code == 302


def test_a_clash_is_refused_even_with_book_anyway(desk, salon):
    AppointmentFactory(
        business=salon.business,
        service=salon.haircut,
        provider=salon.ana,
        start_at=at(THURSDAY, 10),
    )
    response = desk.post(
        BOOK,
        booking(
            salon,
            provider=salon.ana.pk,
            time="10:30",
            book_anyway="on",
            lead=salon.dana.pk,
        ),
    )
    assert "Maison Ana already has an appointment then." in response.content.decode()
    assert Appointment.objects.count() == 1


def test_another_time_needs_a_provider_not_anyone(desk, salon):
    response = desk.post(BOOK, booking(salon, time="10:00", lead=salon.dana.pk))
    assert "Choose the provider for another time" in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda slot: slot[:-1] + ("A" if slot[-1] != "A" else "B"),  # altered
        lambda slot: "1-1-abc.0123456789abcdef",  # forged
    ],
)
def test_an_altered_or_forged_slot_id_books_nothing(desk, salon, tamper):
    slot = slot_at(salon, salon.ana, at(THURSDAY, 10))
    response = desk.post(BOOK, booking(salon, slot=tamper(slot), lead=salon.dana.pk))
    assert "time slot reference isn" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_slot_of_another_day_than_the_one_shown_is_refused(desk, salon):
    friday = THURSDAY + dt.timedelta(days=1)
    slot = slot_at(salon, salon.ana, at(friday, 10))
    response = desk.post(BOOK, booking(salon, slot=slot, lead=salon.dana.pk))
    assert "offered for another service, provider or day" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_time_and_a_customer_are_both_needed(desk, salon):
    page = desk.post(BOOK, booking(salon)).content.decode()
    assert "Choose a free time, or type another time." in page
    assert "Find the customer, or add them as a new customer." in page


def test_without_script_the_page_reloads_with_the_times_and_books_nothing(desk, salon):
    response = desk.post(
        BOOK,
        {
            "business": salon.business.pk,
            "service": salon.haircut.pk,
            "provider": salon.ben.pk,
            "date": THURSDAY.isoformat(),
            "q": "Dana",
            "refresh": "times",
        },
    )
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert {g.provider_id for g in response.context["times"]} == {salon.ben.pk}
    assert [c.pk for c in response.context["customers"]] == [salon.dana.pk]
    assert not Appointment.objects.exists()


def test_the_calendars_empty_cell_preselects_its_slot(desk, salon):
    query = {
        "business": salon.business.pk,
        "provider": salon.ana.pk,
        "date": THURSDAY.isoformat(),
        "time": "10:00",
    }
    response = desk.get(BOOK, query)
    slot = slot_at(salon, salon.ana, at(THURSDAY, 10))
    assert response.context["chosen_slot"] == slot
    assert f'value="{slot}" checked' in response.content.decode()
    assert response.context["pick"].cleaned_data["service"] == salon.haircut

    off_grid = desk.get(BOOK, {**query, "time": "17:05"})
    assert off_grid.context["chosen_slot"] == ""
    assert off_grid.context["form"]["time"].value() == dt.time(17, 5)
