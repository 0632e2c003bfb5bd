# ruff: noqa: E501 -- whole spoken sentences read best on one line each.
"""Every text Roxy says from our side, in each of her languages.

English is what tests/roxy/test_speech.py, test_tools.py and test_assistant.py
check word for word; here the same texts in Spanish and French (and English for
the table rows), through the same code paths as a live call.
"""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import translation

from apps.appointments.models import Appointment
from apps.roxy import assistant, speech, tools
from apps.vapi import protocol
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import ClosureFactory
from tests.calls.factories import CallFactory
from tests.roxy.salon import CALLER, CHICAGO, SATURDAY, tool_calls_payload
from tests.vapi.payloads import CALL_ID

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")
LANGUAGES = ["en", "es", "fr"]


def said(language: str, function, *args, **kwargs) -> str:
    with translation.override(language):
        return function(*args, **kwargs)


# --- speech: times, days, prices, durations, lists, phone numbers ---


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1:30 PM on Saturday, March 15"),
        ("es", "el sábado 15 de marzo a las 13:30"),
        ("fr", "le samedi 15 mars à 13 h 30"),
    ],
)
def test_say_when(language, expected):
    moment = dt.datetime(2025, 3, 15, 18, 30, tzinfo=dt.UTC)

    assert said(language, speech.say_when, moment, CHICAGO) == expected


@pytest.mark.parametrize(
    ("language", "morning", "evening"),
    [
        ("en", "9:05 AM", "11:00 PM"),
        ("es", "9:05", "23:00"),
        ("fr", "9 h 05", "23 h 00"),
    ],
)
def test_say_clock(language, morning, evening):
    assert said(language, speech.say_clock, dt.time(9, 5)) == morning
    assert said(language, speech.say_clock, dt.time(23)) == evening


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Monday, December 1"),
        ("es", "lunes 1 de diciembre"),
        ("fr", "lundi 1 décembre"),
    ],
)
def test_say_day(language, expected):
    assert said(language, speech.say_day, dt.date(2025, 12, 1)) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["45 minutes", "1 hour", "2 hours 30 minutes", "1 hour 1 minute"]),
        ("es", ["45 minutos", "1 hora", "2 horas y 30 minutos", "1 hora y 1 minuto"]),
        ("fr", ["45 minutes", "1 heure", "2 heures 30 minutes", "1 heure 1 minute"]),
    ],
)
def test_say_duration(language, expected):
    assert [said(language, speech.say_duration, m) for m in (45, 60, 150, 61)] == (
        expected
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["$45", "$42.50", "$1,200", "$1"]),
        ("es", ["45 dólares", "42,50 dólares", "1 200 dólares", "1 dólar"]),
        ("fr", ["45 dollars", "42,50 dollars", "1 200 dollars", "1 dollar"]),
    ],
)
def test_say_price(language, expected):
    prices = [Decimal("45.00"), Decimal("42.5"), Decimal("1200"), Decimal("1")]

    assert [said(language, speech.say_price, p) for p in prices] == expected
    assert said(language, speech.say_price, None) == ""


@pytest.mark.parametrize(
    ("language", "both", "either"),
    [
        ("en", "Maria, Jess and Ana", "Maria or Jess"),
        ("es", "Maria, Jess y Ana", "Maria o Jess"),
        ("fr", "Maria, Jess et Ana", "Maria ou Jess"),
    ],
)
def test_say_list(language, both, either):
    assert said(language, speech.say_list, ["Maria", "Jess", "Ana"]) == both
    assert said(language, speech.say_list, ["Maria", "Jess"], conjunction="or") == (
        either
    )


def test_spanish_and_and_or_change_before_the_same_sound():
    assert said("es", speech.say_list, ["Ana", "Inés"]) == "Ana e Inés"
    assert said("es", speech.say_list, ["Ana", "Olga"], conjunction="or") == (
        "Ana u Olga"
    )
    assert said("es", speech.say_list, ["Ana", "Hielo"]) == "Ana y Hielo"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "(512) 555-0187"), ("es", "512 555 0187"), ("fr", "512 555 0187")],
)
def test_say_phone(language, expected):
    assert said(language, speech.say_phone, "+15125550187") == expected


# --- tool answers, as a call in that language gets them ---


@pytest.fixture
def call(salon):
    return CallFactory(
        business=salon.business, vapi_call_id=CALL_ID, caller_number=CALLER, lead=None
    )


def run(salon, call, language, name, args) -> dict:
    call.language = language
    salon.business.languages = LANGUAGES
    run.count = getattr(run, "count", 0) + 1
    message = protocol.parse(tool_calls_payload((name, args), ids=[f"t{run.count}"]))
    body = tools.answer_tool_calls(message, business=salon.business, call=call)
    return body["results"][0]


def result(salon, call, language, name, args) -> str:
    entry = run(salon, call, language, name, args)
    assert "error" not in entry, entry["error"]
    return entry["result"]


def error(salon, call, language, name, args) -> str:
    entry = run(salon, call, language, name, args)
    assert "result" not in entry, entry["result"]
    return entry["error"]


AVAILABILITY = {
    "en": ("Openings for Haircut (1 hour, $45)", "9:00 AM on Saturday, March 15"),
    "es": (
        "Horarios libres para Haircut (1 hora, 45 dólares)",
        "el sábado 15 de marzo a las 9:00",
    ),
    "fr": (
        "Créneaux libres pour Haircut (1 heure, 45 dollars)",
        "le samedi 15 mars à 9 h 00",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_check_availability(salon, call, language):
    text = result(
        salon,
        call,
        language,
        "check_availability",
        {"service": "Haircut", "date": "Saturday"},
    )

    opening, first = AVAILABILITY[language]
    assert text.startswith(opening)
    assert first in text


NOTHING_FREE = {
    "en": "No openings for Haircut (1 hour, $45) on Sunday, March 16.",
    "es": "No hay horarios libres para Haircut (1 hora, 45 dólares) domingo 16 de marzo.",
    "fr": "Aucun créneau libre pour Haircut (1 heure, 45 dollars) dimanche 16 mars.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_check_availability_on_a_closed_day(salon, call, language):
    text = result(
        salon,
        call,
        language,
        "check_availability",
        {"service": "Haircut", "date": "2025-03-16"},
    )

    assert text.startswith(NOTHING_FREE[language])


BOOKED = {
    "en": "Booked: Haircut with {who} at 9:00 AM on Saturday, March 15 for Dana, phone (512) 555-0187. Appointment id {id}.",
    "es": "Reservado: Haircut con {who} el sábado 15 de marzo a las 9:00 para Dana, teléfono 512 555 0187. Appointment id {id}.",
    "fr": "Réservé : Haircut avec {who} le samedi 15 mars à 9 h 00 pour Dana, téléphone 512 555 0187. Appointment id {id}.",
}
MOVED = {
    "en": "Moved: Haircut is now with {who} at 2:00 PM on Saturday, March 15. Appointment id {id}.",
    "es": "Cambiada: Haircut es ahora con {who} el sábado 15 de marzo a las 14:00. Appointment id {id}.",
    "fr": "Déplacé : Haircut est maintenant avec {who} le samedi 15 mars à 14 h 00. Appointment id {id}.",
}
CANCELLED = {
    "en": "Cancelled: Haircut with {who} at 2:00 PM on Saturday, March 15.",
    "es": "Cancelada: Haircut con {who} el sábado 15 de marzo a las 14:00.",
    "fr": "Annulé : Haircut avec {who} le samedi 15 mars à 14 h 00.",
}
FOUND = {
    "en": "Upcoming appointments for this caller: Haircut with {who} at 9:00 AM on Saturday, March 15 (appointment id: {id}).",
    "es": "Próximas citas de esta persona: Haircut con {who} el sábado 15 de marzo a las 9:00 (appointment id: {id}).",
    "fr": "Rendez-vous à venir de cet appelant : Haircut avec {who} le samedi 15 mars à 9 h 00 (appointment id : {id}).",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_book_find_move_and_cancel(salon, call, language):
    booked = result(
        salon,
        call,
        language,
        "book_appointment",
        {"service": "Haircut", "date": "2025-03-15", "time": "9:00", "name": "Dana"},
    )
    appointment = Appointment.objects.get()
    names = {"who": appointment.provider.name, "id": appointment.pk}
    assert booked == BOOKED[language].format(**names)

    found = result(salon, call, language, "find_my_appointments", {})
    assert found == FOUND[language].format(**names)

    moved = result(
        salon,
        call,
        language,
        "reschedule_appointment",
        {"date": "2025-03-15", "time": "14:00"},
    )
    appointment.refresh_from_db()
    names["who"] = appointment.provider.name
    assert moved == MOVED[language].format(**names)

    cancelled = result(salon, call, language, "cancel_appointment", {})
    assert cancelled == CANCELLED[language].format(**names)


TAKEN = {
    "en": "Sorry, 9:00 AM on Saturday, March 15 with Maria was just taken. The nearest openings are:",
    "es": "Lo siento, el sábado 15 de marzo a las 9:00 con Maria se acaba de ocupar. Los horarios libres más cercanos son:",
    "fr": "Désolée, le samedi 15 mars à 9 h 00 avec Maria vient d'être pris. Les créneaux libres les plus proches sont :",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_slot_just_taken(salon, call, language):
    offered = result(
        salon,
        call,
        language,
        "check_availability",
        {"service": "Haircut", "provider": "Maria", "date": "Saturday"},
    )
    slot_id = re.search(r"slot id ?: ([\w.-]+)", offered).group(1)
    AppointmentFactory(
        business=salon.business,
        service=salon.haircut,
        provider=salon.maria,
        start_at=dt.datetime.combine(SATURDAY, dt.time(9), CHICAGO),
    )

    text = error(
        salon, call, language, "book_appointment", {"slot_id": slot_id, "name": "Dana"}
    )

    assert text.startswith(TAKEN[language])


ERRORS = {
    "unknown service": (
        ("check_availability", {"service": "manicure"}),
        {
            "en": 'There is no service called "manicure". Did they mean',
            "es": "No hay ningún servicio llamado «manicure». ¿Quería decir",
            "fr": "Il n'y a pas de prestation appelée « manicure ». Voulait-il dire",
        },
    ),
    "no service": (
        ("check_availability", {}),
        {
            "en": "Which service? The options are Blowout, Haircut or Haircut and color.",
            "es": "¿Qué servicio? Las opciones son Blowout, Haircut o Haircut and color.",
            "fr": "Quelle prestation ? Les choix sont Blowout, Haircut ou Haircut and color.",
        },
    ),
    "unknown person": (
        ("check_availability", {"service": "Haircut", "provider": "Zoe"}),
        {
            "en": 'Nobody called "Zoe" works here. Did they mean',
            "es": "Aquí no trabaja nadie llamado «Zoe». ¿Quería decir",
            "fr": "Personne du nom de « Zoe » ne travaille ici. Voulait-il dire",
        },
    ),
    "past day": (
        ("check_availability", {"service": "Haircut", "date": "2025-03-01"}),
        {
            "en": "Saturday, March 1, 2025 has already passed; today is Friday, March 14.",
            "es": "El sábado 1 de marzo de 2025 ya pasó; hoy es viernes 14 de marzo.",
            "fr": "Le samedi 1 mars 2025 est déjà passé ; aujourd'hui, nous sommes le vendredi 14 mars.",
        },
    ),
    "no time": (
        (
            "book_appointment",
            {"service": "Haircut", "date": "2025-03-15", "name": "Dana"},
        ),
        {
            "en": "What time? Ask the caller, or check availability first.",
            "es": "¿A qué hora? Pregúntaselo a la persona que llama, o consulta primero la disponibilidad.",
            "fr": "À quelle heure ? Demande-le à l'appelant, ou vérifie d'abord les disponibilités.",
        },
    ),
    "several days": (
        (
            "book_appointment",
            {"service": "Haircut", "date": "this week", "time": "9:00", "name": "Dana"},
        ),
        {
            "en": "Which day exactly? Ask the caller for one day.",
            "es": "¿Qué día exactamente? Pide a la persona que llama un solo día.",
            "fr": "Quel jour exactement ? Demande un seul jour à l'appelant.",
        },
    ),
    "forged slot": (
        ("book_appointment", {"slot_id": "nonsense", "name": "Dana"}),
        {"en": "", "es": "", "fr": ""},
    ),
    "bad phone": (
        ("book_appointment", {"service": "Haircut", "phone": "banana", "name": "Dana"}),
        {
            "en": '"banana" doesn\'t look like a phone number. Ask the caller to repeat it.',
            "es": "«banana» no parece un número de teléfono. Pide que lo repita.",
            "fr": "« banana » ne ressemble pas à un numéro de téléphone. Demande à l'appelant de le répéter.",
        },
    ),
    "long email": (
        ("capture_lead", {"name": "Dana", "email": "a" * 300 + "@example.com"}),
        {
            "en": "That email address is too long to be right.",
            "es": "Esa dirección de correo es demasiado larga para ser correcta.",
            "fr": "Cette adresse e-mail est trop longue pour être juste.",
        },
    ),
    "no message": (
        ("take_message", {"name": "Dana"}),
        {
            "en": "What is the message? Ask the caller what to pass on.",
            "es": "¿Cuál es el mensaje? Pregunta qué hay que transmitir.",
            "fr": "Quel est le message ? Demande à l'appelant ce qu'il faut transmettre.",
        },
    ),
    "unknown appointment": (
        ("cancel_appointment", {"appointment_id": "999"}),
        {
            "en": "That appointment isn't one of this caller's upcoming appointments.",
            "es": "Esa cita no es una de las próximas citas de esta persona.",
            "fr": "Ce rendez-vous ne fait pas partie des rendez-vous à venir de cet appelant.",
        },
    ),
    "no appointments": (
        ("cancel_appointment", {}),
        {
            "en": "There are no upcoming appointments under (512) 555-0187.",
            "es": "No hay citas próximas con el número 512 555 0187.",
            "fr": "Il n'y a aucun rendez-vous à venir au numéro 512 555 0187.",
        },
    ),
    "unknown tool": (
        ("make_coffee", {}),
        {
            "en": "There is no tool called 'make_coffee'.",
            "es": "No hay ninguna herramienta llamada 'make_coffee'.",
            "fr": "Il n'y a pas d'outil appelé 'make_coffee'.",
        },
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(ERRORS))
def test_errors(salon, call, case, language):
    (name, args), expected = ERRORS[case]

    text = error(salon, call, language, name, args)

    assert text.startswith(expected[language])
    if language != "en":
        assert text != error(salon, call, "en", name, args) or case == "forged slot"


NO_APPOINTMENTS_FOUND = {
    "en": "There are no upcoming appointments under (512) 555-0187. If they booked with another number",
    "es": "No hay citas próximas con el número 512 555 0187. Si reservó con otro número",
    "fr": "Il n'y a aucun rendez-vous à venir au numéro 512 555 0187. S'il a réservé avec un autre numéro",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_find_my_appointments_with_none(salon, call, language):
    text = result(salon, call, language, "find_my_appointments", {})

    assert text.startswith(NO_APPOINTMENTS_FOUND[language])


DESK = {
    "lead": {
        "en": "Saved Dana's details (lead {id}). The team at Maison Belle Hair Studio will follow up at (512) 555-0187.",
        "es": "Datos de Dana guardados (lead {id}). El equipo de Maison Belle Hair Studio se pondrá en contacto en 512 555 0187.",
        "fr": "Coordonnées de Dana enregistrées (lead {id}). L'équipe de Maison Belle Hair Studio reprendra contact au 512 555 0187.",
    },
    "urgent lead": {
        "en": "Saved Dana's details (lead {id}) as a priority.",
        "es": "Datos de Dana guardados (lead {id}) como prioridad.",
        "fr": "Coordonnées de Dana enregistrées (lead {id}) en priorité.",
    },
    "message": {
        "en": "Message taken for the team at Maison Belle Hair Studio. They will call Dana back soon at (512) 555-0187.",
        "es": "Mensaje tomado para el equipo de Maison Belle Hair Studio. Llamarán a Dana pronto al 512 555 0187.",
        "fr": "Message pris pour l'équipe de Maison Belle Hair Studio. Elle rappellera Dana bientôt au 512 555 0187.",
    },
    "urgent message": {
        "en": "Message taken for the team at Maison Belle Hair Studio. They will call Dana back as soon as they can at (512) 555-0187.",
        "es": "Mensaje tomado para el equipo de Maison Belle Hair Studio. Llamarán a Dana lo antes posible al 512 555 0187.",
        "fr": "Message pris pour l'équipe de Maison Belle Hair Studio. Elle rappellera Dana dès que possible au 512 555 0187.",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_capture_lead_and_take_message(salon, call, language):
    lead = result(salon, call, language, "capture_lead", {"name": "Dana"})
    lead_id = re.search(r"lead (\d+)", lead).group(1)
    assert lead == DESK["lead"][language].format(id=lead_id)

    urgent = result(
        salon, call, language, "capture_lead", {"name": "Dana", "urgency": "urgent"}
    )
    assert urgent.startswith(DESK["urgent lead"][language].format(id=lead_id))

    message = result(
        salon, call, language, "take_message", {"name": "Dana", "message": "Call me"}
    )
    assert message == DESK["message"][language]

    urgent = result(
        salon,
        call,
        language,
        "take_message",
        {"message": "Call me", "urgency": "urgent"},
    )
    assert urgent == DESK["urgent message"][language]


INFO = {
    "hours": {
        "en": "Opening hours: Monday 9:00 AM to 5:00 PM;",
        "es": "Horario: lunes de 9:00 a 17:00;",
        "fr": "Horaires : lundi de 9 h 00 à 17 h 00;",
    },
    "sunday": {
        "en": "Sunday closed.",
        "es": "domingo cerrado.",
        "fr": "dimanche fermé.",
    },
    "closure": {
        "en": "Closed Thursday, March 20 through Friday, March 21 (Training).",
        "es": "Cerrado: del jueves 20 de marzo al viernes 21 de marzo (Training).",
        "fr": "Fermé : du jeudi 20 mars au vendredi 21 mars (Training).",
    },
    "services": {
        "en": "Blowout: 45 minutes, $42.50, with Jess or Maria.",
        "es": "Blowout: 45 minutos, 42,50 dólares, con Jess o Maria.",
        "fr": "Blowout: 45 minutes, 42,50 dollars, avec Jess ou Maria.",
    },
    "contact": {
        "en": "Phone: (512) 555-0100.",
        "es": "Teléfono: 512 555 0100.",
        "fr": "Téléphone : 512 555 0100.",
    },
    "policies": {
        "en": "No policies are written down. Don't guess: offer to take a message for the team.",
        "es": "No hay normas escritas. No adivines: ofrece tomar un mensaje para el equipo.",
        "fr": "Aucune règle n'est écrite. Ne devine pas : propose de prendre un message pour l'équipe.",
    },
    "faq": {
        "en": "No FAQ answers are written down.",
        "es": "No hay respuestas a preguntas frecuentes escritas.",
        "fr": "Aucune réponse aux questions fréquentes n'est écrite.",
    },
    "no closures": {
        "en": "No closures in the next 42 days.",
        "es": "No hay cierres en los próximos 42 días.",
        "fr": "Aucune fermeture dans les 42 prochains jours.",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_get_business_info(salon, call, language, settings):
    settings.ROXY_CLOSURE_LOOKAHEAD_DAYS = 42
    salon.business.phone = "+15125550100"
    salon.business.save()

    def info(topic: str) -> str:
        return result(salon, call, language, "get_business_info", {"topic": topic})

    assert info("closures") == INFO["no closures"][language]
    ClosureFactory(
        business=salon.business,
        starts_on=dt.date(2025, 3, 20),
        ends_on=dt.date(2025, 3, 21),
        reason="Training",
    )
    hours = info("hours")
    assert hours.startswith(INFO["hours"][language])
    assert INFO["sunday"][language] in hours
    assert info("closures") == INFO["closure"][language]
    assert info("services").startswith(INFO["services"][language])
    assert INFO["contact"][language] in info("contact")
    assert info("policies") == INFO["policies"][language]
    assert info("faq").startswith(INFO["faq"][language])


# --- what VAPI says for Roxy: greetings are in test_languages.py ---

TOOL_FAILED = {
    "en": "Something went wrong on our side with that request.",
    "es": "Algo falló por nuestra parte con esa solicitud.",
    "fr": "Un problème est survenu de notre côté avec cette demande.",
}
UNAVAILABLE = {
    "en": "Sorry, Maison Belle Hair Studio isn't taking calls on this line right now.",
    "es": "Lo siento, Maison Belle Hair Studio no está recibiendo llamadas en esta línea ahora.",
    "fr": "Désolée, Maison Belle Hair Studio ne prend pas d'appels sur cette ligne pour le moment.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failed_tool_is_apologised_for_in_the_calls_language(
    salon, call, language, mocker
):
    mocker.patch.dict(
        tools.TOOLS,
        {
            "check_availability": tools.TOOLS["check_availability"].__class__(
                name="check_availability",
                description="",
                run=lambda *a: 1 / 0,
                read_only=True,
            )
        },
    )

    text = error(salon, call, language, "check_availability", {"service": "Haircut"})

    assert text.startswith(TOOL_FAILED[language])


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_inactive_business_is_refused_in_its_language(salon, language, settings):
    settings.VAPI_FALLBACK_TRANSFER_NUMBER = ""
    business = salon.business
    business.languages, business.default_language = [language], language
    business.is_active = False
    business.save()
    message = protocol.parse(tool_calls_payload(("noop", {})))

    body = assistant.answer_assistant_request(message, business=business, call=None)

    assert body["error"].startswith(UNAVAILABLE[language])
