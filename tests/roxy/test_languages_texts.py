# ruff: noqa: E501 -- whole texts read best on one line each.
"""Texts back to customers (apps.texting.wording) in their language: that of their
last call to the business if it speaks it, else the business's default; and the
reminder's reply hint in every language."""

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest

from apps.appointments import notices
from apps.appointments import services as appointment_services
from apps.notifications.models import Notification
from apps.texting import wording
from tests.appointments.factories import ProviderFactory, ServiceFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
WEDNESDAY_3PM = dt.datetime(2025, 3, 12, 15, tzinfo=CHICAGO)
SATURDAY_1PM = dt.datetime(2025, 3, 15, 13, tzinfo=CHICAGO)
PHONE = "+15125550187"

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
        timezone="America/Chicago",
        languages=["en", "es", "fr"],
        default_language="en",
    )
    service = ServiceFactory(business=business, name="Haircut", duration_minutes=60)
    provider = ProviderFactory(business=business, name="Maria", services=[service])
    lead = LeadFactory(business=business, name="Dana", phone=PHONE)
    return SimpleNamespace(
        business=business, service=service, provider=provider, lead=lead
    )


def booked(salon, language: str = ""):
    call = CallFactory(
        business=salon.business, lead=salon.lead, caller_number=PHONE, language=language
    )
    return appointment_services.book_appointment(
        salon.service,
        provider=salon.provider,
        start_at=SATURDAY_1PM,
        lead=salon.lead,
        source_call=call,
    )


def test_their_last_calls_language_else_the_default(salon):
    assert wording.customer_language(salon.business, PHONE) == "en"
    CallFactory(business=salon.business, caller_number=PHONE, language="fr")
    assert wording.customer_language(salon.business, PHONE) == "fr"
    salon.business.languages = ["en"]
    # A language the business no longer speaks: its default.
    assert wording.customer_language(salon.business, PHONE) == "en"


HELP = {
    "en": "Maison Belle: appointment texts. Call (512) 555-0100 for help. Reply C to confirm, R to reschedule, STOP to opt out. Msg&data rates may apply.",
    "es": "Maison Belle: mensajes sobre sus citas. Para ayuda, llame al (512) 555-0100. Responda C para confirmar, R para cambiar la cita, STOP para darse de baja. Pueden aplicarse tarifas de mensajes y datos.",
    "fr": "Maison Belle : SMS de rendez-vous. Pour de l'aide, appelez le (512) 555-0100. Répondez C pour confirmer, R pour déplacer, STOP pour vous désabonner. Des frais de messagerie peuvent s'appliquer.",
}
STOPPED = {
    "en": "Maison Belle: you're unsubscribed and will get no more texts from us. Reply START to resubscribe.",
    "es": "Maison Belle: se ha dado de baja y no recibirá más mensajes nuestros. Responda START para volver a suscribirse.",
    "fr": "Maison Belle : vous êtes désabonné et ne recevrez plus de SMS de notre part. Répondez START pour vous réabonner.",
}


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_help_and_stop_follow_their_last_call(salon, language):
    CallFactory(business=salon.business, caller_number=PHONE, language=language)

    with wording.customer(salon.business, PHONE):
        assert wording.help_text(salon.business) == HELP[language]
        assert wording.opted_out(salon.business) == STOPPED[language]


APPOINTMENT_TEXTS = {
    "en": (
        "Maison Belle: thanks, you're confirmed for Haircut on Sat Mar 15 at 1 PM.",
        "Maison Belle: your Haircut on Sat Mar 15 at 1 PM is cancelled. Reply R to book a new time.",
        "Maison Belle: we can move you to 1) Sat Mar 15 at 1 PM with Maria. Reply with the number to book it.",
        "Maison Belle: you're unsubscribed and will get no more texts from us. Reply START to resubscribe. Your appointment on Sat Mar 15 at 1 PM is still booked; to cancel it, call (512) 555-0100.",
    ),
    "es": (
        "Maison Belle: gracias, su cita de Haircut del sáb 15 de marzo a las 13:00 está confirmada.",
        "Maison Belle: su cita de Haircut del sáb 15 de marzo a las 13:00 está cancelada. Responda R para reservar otra hora.",
        "Maison Belle: podemos cambiar su cita a 1) sáb 15 de marzo a las 13:00 con Maria. Responda con el número para reservarla.",
        "Maison Belle: se ha dado de baja y no recibirá más mensajes nuestros. Responda START para volver a suscribirse. Su cita del sáb 15 de marzo a las 13:00 sigue en pie; para cancelarla, llame al (512) 555-0100.",
    ),
    "fr": (
        "Maison Belle : merci, votre rendez-vous Haircut du sam 15 mars à 13h00 est confirmé.",
        "Maison Belle : votre rendez-vous Haircut du sam 15 mars à 13h00 est annulé. Répondez R pour choisir un autre horaire.",
        "Maison Belle : nous pouvons vous proposer 1) sam 15 mars à 13h00 avec Maria. Répondez avec le numéro pour le réserver.",
        "Maison Belle : vous êtes désabonné et ne recevrez plus de SMS de notre part. Répondez START pour vous réabonner. Votre rendez-vous du sam 15 mars à 13h00 est maintenu ; pour l'annuler, appelez le (512) 555-0100.",
    ),
}


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_appointment_texts_follow_the_call_that_booked(salon, language):
    appointment = booked(salon, language)
    slot = SimpleNamespace(start_at=SATURDAY_1PM, provider_name="Maria")
    confirmed, cancelled, offer, stopped = APPOINTMENT_TEXTS[language]

    # No customer named: the appointment's customer (their last call) decides.
    assert wording.confirmed(salon.business, appointment) == confirmed
    assert wording.cancelled(salon.business, appointment) == cancelled
    assert wording.opted_out_with_appointment(salon.business, appointment) == stopped
    with wording.customer(salon.business, PHONE):
        assert wording.offer(salon.business, [slot]) == offer


HINT = {
    "en": "Reply C to confirm or R to reschedule. Reply STOP to opt out.",
    "es": "Responda C para confirmar o R para cambiar la cita.",
    "fr": "Répondez C pour confirmer ou R pour déplacer le rendez-vous.",
}


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_the_reminder_says_how_to_confirm_or_move(salon, language, time_machine):
    booked(salon, language)

    time_machine.move_to(dt.datetime(2025, 3, 14, 17, tzinfo=CHICAGO), tick=False)
    notices.send_due_reminders()

    text = Notification.objects.get(kind="appointment_reminder", channel="sms")
    assert HINT[language] in text.body
