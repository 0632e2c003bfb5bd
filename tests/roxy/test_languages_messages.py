# ruff: noqa: E501 -- whole messages read best on one line each.
"""Texts and emails to the caller follow the language of the call that booked."""

import datetime as dt
import zoneinfo

import pytest

from apps.appointments import notices
from apps.appointments import services as appointment_services
from apps.notifications.models import Notification
from tests.appointments.factories import ProviderFactory, ServiceFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
WEDNESDAY_3PM = dt.datetime(2025, 3, 12, 15, tzinfo=CHICAGO)
SATURDAY_1PM = dt.datetime(2025, 3, 15, 13, tzinfo=CHICAGO)
SATURDAY_4PM = dt.datetime(2025, 3, 15, 16, tzinfo=CHICAGO)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(WEDNESDAY_3PM, tick=False),
]


@pytest.fixture(autouse=True)
def notice_settings(settings):
    settings.QUIET_HOURS_START = "21:00"
    settings.QUIET_HOURS_END = "08:00"
    settings.SITE_URL = ""


@pytest.fixture
def salon():
    business = BusinessFactory(
        name="Maison Belle",
        phone="+15125550100",
        languages=["en", "es", "fr"],
        default_language="en",
    )
    service = ServiceFactory(business=business, name="Haircut", duration_minutes=60)
    provider = ProviderFactory(business=business, name="Maria", services=[service])
    lead = LeadFactory(
        business=business, name="Dana", phone="+15125550187", email="dana@example.com"
    )
    return business, service, provider, lead


def book(salon, language: str):
    business, service, provider, lead = salon
    call = CallFactory(business=business, lead=lead, language=language)
    return appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM, lead=lead, source_call=call
    )


def caller_message(kind: str, channel: str) -> Notification:
    return Notification.objects.get(
        kind=kind, channel=channel, recipient__in=["dana@example.com", "+15125550187"]
    )


CONFIRMATION = {
    "en": (
        "You're booked at Maison Belle: Sat, Mar 15 at 1:00 PM",
        "Maison Belle: you're booked, Dana! Haircut with Maria on Sat, Mar 15 at 1:00 PM. Changes: call (512) 555-0100. Reply STOP to opt out.",
        "Hi Dana,",
        "Saturday, March 15 at 1:00 PM",
    ),
    "es": (
        "Cita reservada en Maison Belle: sáb 15 mar a las 13:00",
        "Maison Belle: su cita está reservada, Dana! Haircut con Maria el sáb 15 mar a las 13:00. Cambios: llame al (512) 555-0100. Responda STOP para no recibir más mensajes.",
        "Hola, Dana:",
        "sábado 15 de marzo a las 13:00",
    ),
    "fr": (
        "Réservé chez Maison Belle : sam 15 mar à 13h00",
        "Maison Belle : c'est réservé, Dana! Haircut avec Maria le sam 15 mar à 13h00. Modifications : appelez le (512) 555-0100. Répondez STOP pour ne plus recevoir de messages.",
        "Bonjour Dana,",
        "samedi 15 mars à 13h00",
    ),
}


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_the_booking_confirmation_is_in_the_calls_language(salon, language):
    book(salon, language)

    email = caller_message("booking_confirmation", "email")
    sms = caller_message("booking_confirmation", "sms")
    subject, text, greeting, when = CONFIRMATION[language]
    assert (email.language, sms.language) == (language, language)
    assert email.subject == subject
    assert sms.body == text
    assert email.body.startswith(greeting)
    assert when in email.body
    assert when in email.html_body


MOVED = {
    "en": (
        "Your Maison Belle appointment moved to Sat, Mar 15 at 4:00 PM",
        "(was Sat, Mar 15 1:00 PM)",
    ),
    "es": (
        "Su cita en Maison Belle cambia al sáb 15 mar a las 16:00",
        "(antes: sáb 15 mar 13:00)",
    ),
    "fr": (
        "Votre rendez-vous chez Maison Belle est déplacé au sam 15 mar à 16h00",
        "(auparavant : sam 15 mar 13h00)",
    ),
}
CANCELLED = {
    "en": (
        "Your Maison Belle appointment on Sat, Mar 15 is cancelled",
        "Maison Belle: your Haircut on Sat, Mar 15 at 4:00 PM is cancelled.",
    ),
    "es": (
        "Su cita en Maison Belle del sáb 15 mar está cancelada",
        "Maison Belle: su Haircut del sáb 15 mar a las 16:00 está cancelada.",
    ),
    "fr": (
        "Votre rendez-vous chez Maison Belle du sam 15 mar est annulé",
        "Maison Belle : votre Haircut du sam 15 mar à 16h00 est annulé.",
    ),
}
REMINDER = {
    "en": (
        "Reminder: Haircut at Maison Belle, Sat, Mar 15 at 4:00 PM",
        "Maison Belle reminder: Haircut with Maria on Sat, Mar 15 at 4:00 PM.",
    ),
    "es": (
        "Recordatorio: Haircut en Maison Belle, sáb 15 mar a las 16:00",
        "Recordatorio de Maison Belle: Haircut con Maria el sáb 15 mar a las 16:00.",
    ),
    "fr": (
        "Rappel : Haircut chez Maison Belle, sam 15 mar à 16h00",
        "Rappel de Maison Belle : Haircut avec Maria le sam 15 mar à 16h00.",
    ),
}


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_moves_reminders_and_cancellations_are_in_the_calls_language(
    salon, language, time_machine
):
    appointment = book(salon, language)
    appointment_services.reschedule_appointment(appointment, start_at=SATURDAY_4PM)
    appointment.refresh_from_db()

    subject, was = MOVED[language]
    assert caller_message("reschedule_notice", "email").subject == subject
    assert was in caller_message("reschedule_notice", "sms").body

    time_machine.move_to(dt.datetime(2025, 3, 14, 17, tzinfo=CHICAGO), tick=False)
    notices.send_due_reminders()
    subject, text = REMINDER[language]
    assert caller_message("appointment_reminder", "email").subject == subject
    assert caller_message("appointment_reminder", "sms").body.startswith(text)

    appointment_services.cancel_appointment(appointment, reason="")
    subject, text = CANCELLED[language]
    assert caller_message("cancellation_notice", "email").subject == subject
    assert caller_message("cancellation_notice", "sms").body.startswith(text)


def test_a_language_the_business_does_not_speak_falls_back_to_its_default(salon):
    business = salon[0]
    business.languages, business.default_language = ["es", "en"], "es"
    business.save()

    book(salon, "de")

    assert caller_message("booking_confirmation", "email").language == "es"


def test_a_booking_without_a_call_is_written_in_the_business_default(salon):
    business, service, provider, lead = salon
    business.languages, business.default_language = ["fr", "en"], "fr"
    business.save()

    appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM, lead=lead
    )

    email = caller_message("booking_confirmation", "email")
    assert email.language == "fr"
    assert email.subject.startswith("Réservé chez Maison Belle")


def test_staff_alerts_stay_in_english(salon):
    business = salon[0]
    business.notification_emails = "frontdesk@example.com"
    business.save()

    book(salon, "es")

    alert = Notification.objects.get(kind="new_booking", channel="email")
    assert alert.language == ""
    assert "Haircut" in alert.subject
