"""A whole move by text: reminder, "reschedule", three times, "2", moved."""

import pytest

from apps.appointments import notices
from apps.appointments.models import Appointment
from apps.appointments.slots import parse_slot_id
from apps.notifications.models import Notification
from apps.texting.models import InboundText, RescheduleOffer
from tests.roxy.salon import NOW
from tests.texting.conftest import CUSTOMER

pytestmark = pytest.mark.django_db


def test_reminder_reply_reschedule_then_2_moves_the_appointment(
    appointment, text_in, django_capture_on_commit_callbacks, deliveries
):
    assert notices.send_due_reminders(now=NOW.replace(day=17, hour=12)) == 1
    reminder = Notification.objects.get(
        kind="appointment_reminder", channel="sms", appointment=appointment
    )
    assert reminder.recipient == CUSTOMER

    response = text_in("Reschedule please")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    offer = RescheduleOffer.objects.get()
    assert len(offer.slot_ids) == 3
    offer_text = Notification.objects.filter(kind="text_reply").latest("id")
    assert offer_text.recipient == CUSTOMER
    assert (
        "1)" in offer_text.body and "2)" in offer_text.body and "3)" in offer_text.body
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert text_in("2").status_code == 200

    appointment.refresh_from_db()

    chosen = parse_slot_id(offer.slot_ids[1])
    assert appointment.start_at == chosen.start_at
    assert appointment.provider_id == chosen.provider_id
    assert appointment.status == Appointment.Status.BOOKED
    notice_email = Notification.objects.get(
        kind="reschedule_notice", channel="email", appointment=appointment
    )
    invite = notice_email.attachments[0]["content"]  # replaces the booked event
    assert f"UID:appointment-{appointment.pk}@voicehive" in invite
    local_start = chosen.start_at.astimezone(appointment.business.tzinfo)
    assert local_start.strftime("%Y%m%dT%H%M%S") in invite
    assert Notification.objects.filter(
        kind="reschedule_notice", channel="sms", appointment=appointment
    ).exists()
    done = Notification.objects.filter(kind="text_reply").latest("id")
    assert "now" in done.body
    assert InboundText.objects.filter(intent="choice").get().outcome.startswith("Moved")


def test_a_repeated_2_does_not_move_it_again(appointment, text_in):
    text_in("can't make it")
    text_in("2")
    appointment.refresh_from_db()
    moved_to = appointment.start_at
    text_in("2")
    appointment.refresh_from_db()
    assert appointment.start_at == moved_to
    last = Notification.objects.filter(kind="text_reply").latest("id")
    assert "already booked" in last.body
