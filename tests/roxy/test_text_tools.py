"""Roxy's send_text: through the outbox, with consent, quiet hours and the truth."""

import pytest

from apps.appointments import services as appointment_services
from apps.notifications import consent
from apps.notifications.models import Notification
from tests.roxy.salon import CALLER, NOW
from tests.roxy.test_tools import error, result

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def texts_go_out(settings, deliveries):
    settings.SMS_BACKEND = "apps.notifications.channels.LocmemSmsBackend"


def texts():
    return Notification.objects.filter(kind="roxy_text", channel="sms")


def test_texts_the_address_with_directions(salon, call):
    salon.business.address = "1200 South Congress Ave, Austin, TX 78704"
    salon.business.save()

    answer = result(salon, call, "send_text", {"what": "directions"})

    assert "Text sent" in answer
    text = texts().get()
    assert text.recipient == CALLER
    assert "1200 South Congress Ave" in text.body
    assert "google.com/maps" in text.body
    assert text.call == call


def test_texts_what_was_just_booked(salon, call):
    appointment_services.book_appointment(
        salon.haircut,
        provider=salon.jess,
        start_at=NOW.replace(day=18, hour=14, minute=0),
        source_call=call,
    )

    result(salon, call, "send_text", {"what": "booking"})

    text = texts().get()
    assert "Haircut with Jess on Tue Mar 18 at 2 PM" in text.body
    assert text.appointment is not None


def test_asking_twice_in_one_call_sends_once(salon, call):
    salon.business.website = "https://maisonbelle.example"
    salon.business.save()

    result(salon, call, "send_text", {"what": "website"})
    result(salon, call, "send_text", {"what": "link"})

    assert texts().count() == 1


def test_an_opted_out_caller_is_told_the_truth(salon, call):
    consent.set_consent(
        salon.business,
        CALLER,
        status=consent.Status.OPTED_OUT,
        source=consent.Source.KEYWORD,
        reason='Texted "STOP"',
    )

    said = error(salon, call, "send_text", {"what": "address"})

    assert "opted out" in said
    assert not texts().exists()


def test_a_landline_is_refused(salon, call):
    said = error(
        salon, call, "send_text", {"what": "address", "phone": "+442079460000"}
    )

    assert "landline" in said


def test_no_sms_provider_is_said_plainly(salon, call, settings):
    settings.SMS_BACKEND = "apps.notifications.channels.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID = ""

    said = error(salon, call, "send_text", {"what": "address"})

    assert "no SMS provider" in said


def test_quiet_hours_hold_it_and_roxy_says_when(salon, call, time_machine):
    time_machine.move_to(NOW.replace(hour=22), tick=False)
    salon.business.address = "1200 South Congress Ave"
    salon.business.save()

    answer = result(salon, call, "send_text", {"what": "address"})

    assert "quiet hours" in answer
    assert texts().get().send_after > NOW.replace(hour=22)


def test_the_tool_is_offered_with_its_choices(salon):
    from apps.roxy.registry import TOOLS

    tool = TOOLS["send_text"].to_vapi([], server=None)
    assert tool["function"]["parameters"]["properties"]["what"]["enum"] == [
        "address",
        "booking",
        "website",
    ]
