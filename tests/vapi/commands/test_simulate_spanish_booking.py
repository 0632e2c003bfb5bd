"""simulate_call --scenario booking-es: a Spanish-speaking caller books, the call
records the switch to Spanish and Roxy's tool answers are in Spanish (issue #16)."""

import pytest

from apps.appointments.models import Appointment
from apps.calls.models import ToolInvocation
from apps.notifications.models import Notification
from tests.vapi.commands.test_simulate_call import demo, simulate, the_call  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]


def test_a_spanish_call_books_in_spanish(demo):  # noqa: F811
    demo.languages, demo.default_language = ["en", "es"], "en"
    demo.save()

    output = simulate("--business", demo.slug, "--scenario", "booking-es")

    call = the_call()
    appointment = Appointment.objects.get(source_call=call)
    assert call.language == "es"
    answers = ToolInvocation.objects.filter(call=call).order_by("pk")
    assert answers[0].result.startswith("Horarios libres para ")
    assert answers[1].result.startswith("Reservado: ")
    assert "language-change-detected es → 200" in output
    assert output.strip().endswith("all answered as expected.")
    to_caller = Notification.objects.filter(
        appointment=appointment, recipient__in=[call.lead.phone, call.lead.email]
    )
    assert to_caller.exists()
    assert {n.language for n in to_caller} == {"es"}


def test_a_business_that_does_not_speak_spanish_fails_the_scenario(demo):  # noqa: F811
    demo.languages, demo.default_language = ["en"], "en"
    demo.save()

    with pytest.raises(Exception, match="(?i)fail|unexpected|expected"):
        simulate("--business", demo.slug, "--scenario", "booking-es")

    assert the_call().language == "es"  # recorded, though Roxy kept to English


def test_the_spanish_demo_clinic_takes_a_spanish_booking(demo):  # noqa: F811
    output = simulate("--business", "clinica-sol", "--scenario", "booking-es")

    call = the_call()
    assert call.business.slug == "clinica-sol"
    assert call.language == "es"
    assert Appointment.objects.filter(source_call=call).exists()
    assert output.strip().endswith("all answered as expected.")
