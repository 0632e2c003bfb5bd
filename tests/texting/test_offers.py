"""Offers by text: late, repeated, taken or out-of-range answers are handled sanely."""

import datetime as dt

import pytest

from apps.appointments import services as appointment_services
from apps.appointments.slots import parse_slot_id
from apps.notifications.models import Notification
from apps.texting.models import RescheduleOffer
from tests.texting.conftest import CUSTOMER

pytestmark = pytest.mark.django_db


def last_reply() -> str:
    return Notification.objects.filter(recipient=CUSTOMER).latest("id").body


def test_a_2_after_the_offer_lapsed_offers_fresh_times(
    text_in, appointment, time_machine
):
    text_in("reschedule")
    before = appointment.start_at
    time_machine.shift(dt.timedelta(hours=3))

    text_in("2")

    appointment.refresh_from_db()
    assert appointment.start_at == before
    assert "no longer held" in last_reply()
    assert RescheduleOffer.objects.filter(status="open").count() == 1


def test_a_time_taken_since_the_offer_is_not_double_booked(
    text_in, appointment, salon, customer
):
    text_in("reschedule")
    offer = RescheduleOffer.objects.get()
    ref = parse_slot_id(offer.slot_ids[1])
    appointment_services.book_appointment(
        salon.haircut,
        provider=salon.maria if ref.provider_id == salon.maria.pk else salon.jess,
        start_at=ref.start_at,
    )

    text_in("2")

    appointment.refresh_from_db()
    assert appointment.start_at != ref.start_at
    assert "no longer held" in last_reply()


def test_a_number_out_of_range_goes_to_staff(text_in, appointment):
    text_in("reschedule")
    before = appointment.start_at

    text_in("7")

    appointment.refresh_from_db()
    assert appointment.start_at == before
    assert "passed your message to the team" in last_reply()


def test_a_number_with_no_offer_goes_to_staff(text_in, appointment):
    text_in("2")

    assert "passed your message to the team" in last_reply()


def test_a_newer_offer_replaces_the_old_one(text_in, appointment):
    text_in("reschedule")
    text_in("another time please")

    assert RescheduleOffer.objects.filter(status="open").count() == 1
    assert RescheduleOffer.objects.filter(status="replaced").count() == 1
