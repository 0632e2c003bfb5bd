"""What each kind of reply does: STOP, START, HELP, confirm, cancel, and staff."""

import pytest

from apps.appointments.models import Appointment
from apps.notifications import consent
from apps.notifications.delivery import deliver_notification
from apps.notifications.models import Notification, SmsConsent
from apps.texting.models import Conversation, InboundText
from tests.texting.conftest import CUSTOMER

pytestmark = pytest.mark.django_db


def last_reply() -> Notification:
    return Notification.objects.filter(recipient=CUSTOMER).latest("id")


def staff_alerts():
    return Notification.objects.filter(kind="text_needs_attention")


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "stop",
        "Unsubscribe",
        "QUIT",
        "end",
        "STOPALL",
        "stop all",
        "OPTOUT",
        "revoke",
    ],
)
def test_carrier_stop_words_opt_out_with_a_confirmation(text_in, salon, customer, word):
    text_in(word)

    record = SmsConsent.objects.get(business=salon.business, phone=CUSTOMER)
    assert record.is_opted_out
    change = record.changes.get()
    assert change.source == "keyword" and word in change.reason
    reply = last_reply()
    assert reply.kind == "sms_opt_out_confirmation"
    assert reply.status == Notification.Status.QUEUED  # the one text still allowed
    assert "unsubscribed" in reply.body


def test_opt_out_withdraws_texts_already_queued(text_in, appointment):
    queued = Notification.objects.get(kind="booking_confirmation", channel="sms")
    assert queued.status == Notification.Status.QUEUED

    text_in("STOP")

    queued.refresh_from_db()
    assert queued.status == Notification.Status.SUPPRESSED
    assert "opted out" in queued.last_error


def test_opt_out_is_honoured_at_send_time_for_a_claimed_text(
    salon, customer, appointment
):
    text = Notification.objects.get(kind="booking_confirmation", channel="sms")
    # Opted out between the claim and the send: set without the queued sweep.
    SmsConsent.objects.create(
        business=salon.business,
        phone=CUSTOMER,
        status=SmsConsent.Status.OPTED_OUT,
        changed_at=text.created_at,
    )

    delivered = deliver_notification(text.pk)

    assert delivered.status == Notification.Status.SUPPRESSED


def test_new_texts_to_an_opted_out_number_are_kept_but_not_sent(
    text_in, salon, customer, appointment
):
    text_in("STOP")
    from apps.appointments import services

    services.cancel_appointment(appointment)

    notice = Notification.objects.get(kind="cancellation_notice", channel="sms")
    assert notice.status == Notification.Status.SUPPRESSED


def test_a_bare_cancel_is_an_opt_out_and_never_cancels_the_appointment(
    text_in, appointment
):
    text_in("Cancel")

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert consent.is_opted_out(appointment.business_id, CUSTOMER)
    reply = last_reply()
    assert reply.kind == "sms_opt_out_confirmation"
    assert "still booked" in reply.body
    conversation = Conversation.objects.get()
    assert conversation.needs_attention
    assert "NOT cancelled" in conversation.attention_reason
    assert staff_alerts().exists()


def test_start_opts_back_in(text_in, salon, customer):
    text_in("STOP")
    text_in("START")

    assert not consent.is_opted_out(salon.business.pk, CUSTOMER)
    assert "subscribed to our texts again" in last_reply().body
    assert SmsConsent.objects.get().changes.count() == 2


def test_yes_after_stop_opts_back_in_rather_than_confirming(text_in, appointment):
    text_in("STOP")
    text_in("Yes")

    appointment.refresh_from_db()
    assert not consent.is_opted_out(appointment.business_id, CUSTOMER)
    assert appointment.status == Appointment.Status.BOOKED


def test_help_answers_with_name_and_contact(text_in, salon, customer):
    text_in("HELP")

    reply = last_reply()
    assert "Maison Belle Hair Studio" in reply.body
    assert "(512) 555-0142" in reply.body
    assert reply.send_after is None  # carriers want it at once, quiet hours or not


@pytest.mark.parametrize("said", ["C", "confirm", "Yes", "yes!", "👍"])
def test_confirm_marks_the_appointment_confirmed(text_in, appointment, said):
    text_in(said)

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert "confirmed" in last_reply().body


def test_cancel_my_appointment_cancels_through_the_service(text_in, appointment):
    text_in("Please cancel my appointment")

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert "Customer texted" in appointment.notes
    assert not consent.is_opted_out(appointment.business_id, CUSTOMER)
    assert staff_alerts().count() == 0
    assert Notification.objects.filter(kind="cancellation").exists()  # staff's alert


@pytest.mark.parametrize(
    "said",
    ["don't cancel", "Is parking free?", "", "🎉🎉", "x" * 1200, "stop by at 3?"],
)
def test_unclear_texts_go_to_staff_and_never_cancel(text_in, appointment, said):
    text_in(said)

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    inbound = InboundText.objects.get()
    assert inbound.intent == "other"
    assert inbound.body == said
    assert Conversation.objects.get().needs_attention
    assert staff_alerts().filter(channel="email").count() == 1


def test_a_second_unclear_text_does_not_alert_staff_again(text_in, appointment):
    text_in("Is parking free?")
    text_in("Hello??")

    assert staff_alerts().filter(channel="email").count() == 1
    assert InboundText.objects.count() == 2


def test_can_we_do_thursday_offers_thursday_first(text_in, appointment):
    text_in("Can we do Thursday?")

    offer = last_reply().body
    assert offer.count("Thu Mar 20") == 3
    assert "9 AM" in offer and "4 PM" in offer  # spread across the day


def test_a_text_from_someone_without_an_appointment_goes_to_staff(text_in, salon):
    text_in("reschedule", sender="+15125550123")

    assert (
        "couldn't find an upcoming appointment"
        in Notification.objects.filter(recipient="+15125550123").latest("id").body
    )
    assert Conversation.objects.get().needs_attention
