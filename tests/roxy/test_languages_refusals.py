# ruff: noqa: E501 -- whole spoken sentences read best on one line each.
"""The rest of what Roxy says from our side, in each language: date errors, refusals,
the webhook's fallback answers, the transfer line and the send_text tool."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from apps.appointments import services as appointment_services
from apps.businesses.models import TransferDestination
from apps.notifications.models import Notification
from apps.roxy import booking_words, transfers
from apps.roxy.dates import DateParseError, resolve_dates
from apps.vapi import intake, protocol
from tests.roxy.salon import CALLER, SATURDAY, tool_calls_payload
from tests.roxy.test_languages_spoken import (
    LANGUAGES,
    call,  # noqa: F401 -- fixture
    error,
    result,
)

pytestmark = pytest.mark.django_db


def date_error(language: str, text: str) -> str:
    with translation.override(language), pytest.raises(DateParseError) as info:
        resolve_dates(text, today=SATURDAY)
    return str(info.value)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "I didn't catch a date. Could you give me a day, like tomorrow, Friday, or March 15th?",
        ),
        (
            "es",
            "No entendí la fecha. ¿Me puede decir un día, como mañana, el viernes o el 15 de marzo?",
        ),
        (
            "fr",
            "Je n'ai pas compris la date. Pouvez-vous me donner un jour, comme demain, vendredi ou le 15 mars ?",
        ),
    ],
)
def test_an_empty_date(language, expected):
    assert date_error(language, "  ") == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", 'I couldn\'t work out which day "blue" is.'),
        ("es", "No pude saber qué día es «blue»."),
        ("fr", "Je n'ai pas compris quel jour est « blue »."),
    ],
)
def test_an_unreadable_date(language, expected):
    assert date_error(language, "blue").startswith(expected)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "There's no such date as February 30, 2025."),
        ("es", "No existe la fecha 30 de febrero de 2025."),
        ("fr", "La date du 30 février 2025 n'existe pas."),
    ],
)
def test_a_date_that_does_not_exist(language, expected):
    assert date_error(language, "2025-02-30").startswith(expected)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "March 18, 2025 is a Tuesday, not a Wednesday. Which day did you mean?"),
        (
            "es",
            "El 18 de marzo de 2025 es martes, no miércoles. ¿Qué día quería decir?",
        ),
        (
            "fr",
            "Le 18 mars 2025 est un mardi, pas un mercredi. Quel jour vouliez-vous dire ?",
        ),
    ],
)
def test_a_weekday_that_contradicts_the_date(language, expected):
    assert date_error(language, "Wednesday March 18") == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "I need the caller's name to book. Ask for it."),
        ("es", "Necesito el nombre de la persona para reservar. Pregúntaselo."),
        ("fr", "Il me faut le nom de l'appelant pour réserver. Demandez-le."),
    ],
)
def test_booking_without_a_name(salon, call, language, expected):  # noqa: F811
    assert (
        error(salon, call, language, "book_appointment", {"service": "Haircut"})
        == expected
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "That time slot reference isn't valid. Please check availability again.",
        ),
        (
            "es",
            "Esa referencia de horario no es válida. Vuelve a consultar la disponibilidad.",
        ),
        (
            "fr",
            "Cette référence de créneau n'est pas valable. Vérifiez de nouveau les disponibilités.",
        ),
    ],
)
def test_a_forged_slot_id(salon, call, language, expected):  # noqa: F811
    args = {"slot_id": "forged.abc", "name": "Dana"}
    assert error(salon, call, language, "book_appointment", args) == expected


@pytest.mark.parametrize(
    ("language", "moved", "cancelled"),
    [
        (
            "en",
            "This appointment is cancelled and can't be moved.",
            "This appointment is cancelled and can't be cancelled.",
        ),
        (
            "es",
            "Esta cita está cancelada y no se puede cambiar.",
            "Esta cita está cancelada y no se puede cancelar.",
        ),
        (
            "fr",
            "Ce rendez-vous est annulé et ne peut pas être déplacé.",
            "Ce rendez-vous est annulé et ne peut pas être annulé.",
        ),
    ],
)
def test_an_appointment_that_cannot_change(salon, language, moved, cancelled):
    start = dt.datetime.combine(SATURDAY, dt.time(10), salon.business.tzinfo)
    appointment = appointment_services.book_appointment(
        salon.haircut, provider=salon.maria, start_at=start
    )
    appointment_services.cancel_appointment(appointment, reason="test")

    with translation.override(language):
        assert booking_words.not_changeable(appointment, moving=True) == moved
        assert booking_words.not_changeable(appointment, moving=False) == cancelled


FAILURE = {
    "en": "This could not be done just now because of a problem on our side.",
    "es": "No se pudo hacer ahora por un problema de nuestra parte.",
    "fr": "Cela n'a pas pu être fait pour l'instant à cause d'un problème de notre côté.",
}
IN_HAND = {
    "en": "That request is still being handled.",
    "es": "Esa solicitud todavía se está procesando.",
    "fr": "Cette demande est encore en cours de traitement.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_webhooks_fallback_answers_are_in_the_calls_language(
    salon,
    call,  # noqa: F811
    language,
):
    salon.business.languages = LANGUAGES
    salon.business.save()
    call.language = language
    call.save()
    message = protocol.parse(tool_calls_payload(("check_availability", {})))

    failed = intake.fallback_answer(message, business=salon.business)
    waiting = intake.unanswered_answer(message)

    assert failed["results"][0]["error"].startswith(FAILURE[language])
    assert waiting["results"][0]["error"].startswith(IN_HAND[language])


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Sure, one moment."),
        ("es", "Claro, un momento."),
        ("fr", "Bien sûr, un instant."),
    ],
)
def test_the_transfer_tools_line(salon, language, expected):
    row = TransferDestination.objects.create(
        business=salon.business, name="Front desk", number="+15125550100"
    )
    destinations = transfers.available_now(
        salon.business, [row], now=timezone.now(), open_now=True
    )
    assert destinations
    with translation.override(language):
        tool = transfers.transfer_tool(salon.business, destinations)

    assert tool["messages"] == [{"type": "request-start", "content": expected}]


SEND_TEXT = {
    "en": (
        "Say what to text: address, booking or website.",
        "Text sent. Tell the caller it's on its way.",
    ),
    "es": (
        "Indica qué enviar por mensaje: dirección, cita o sitio web.",
        "Mensaje enviado. Dile a la persona que ya va en camino.",
    ),
    "fr": (
        "Précisez quoi envoyer par SMS : adresse, rendez-vous ou site web.",
        "SMS envoyé. Dites à l'appelant qu'il arrive.",
    ),
}
BOOKED_TEXT = {
    "en": "Maison Belle Hair Studio: you're booked for Haircut with Maria on Sat Mar 15 at 10 AM. Reply C to confirm or R to reschedule.",
    "es": "Maison Belle Hair Studio: tiene cita de Haircut con Maria el sáb 15 de marzo a las 10:00. Responda C para confirmar o R para cambiar la cita.",
    "fr": "Maison Belle Hair Studio : vous avez rendez-vous pour Haircut avec Maria le sam 15 mars à 10h00. Répondez C pour confirmer ou R pour déplacer le rendez-vous.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_send_text_speaks_and_texts_in_the_calls_language(
    salon,
    call,  # noqa: F811
    language,
    settings,
    deliveries,
):
    settings.SMS_BACKEND = "apps.notifications.channels.LocmemSmsBackend"
    start = dt.datetime.combine(SATURDAY, dt.time(10), salon.business.tzinfo)
    appointment_services.book_appointment(
        salon.haircut, provider=salon.maria, start_at=start, source_call=call
    )
    refused, sent = SEND_TEXT[language]

    assert error(salon, call, language, "send_text", {}) == refused
    assert result(salon, call, language, "send_text", {"what": "booking"}) == sent
    text = Notification.objects.get(kind="roxy_text", recipient=CALLER)
    assert text.body == BOOKED_TEXT[language]
