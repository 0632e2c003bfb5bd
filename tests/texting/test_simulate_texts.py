import io

import pytest
from django.core.management import call_command

from apps.appointments.models import Appointment

pytestmark = pytest.mark.django_db


def test_simulate_texts_moves_a_visit_by_text(salon, settings, deliveries):
    settings.TWILIO_AUTH_TOKEN = ""  # the dev token signs in process
    out = io.StringIO()

    call_command("simulate_texts", "--business", salon.business.slug, stdout=out)

    printed = out.getvalue()
    assert "> reschedule  [HTTP 200]" in printed
    assert "< Maison Belle Hair Studio: we can move you to 1)" in printed
    assert "> 2  [HTTP 200]" in printed
    assert "done, your Blowout is now" in printed
    appointment = Appointment.objects.get()
    assert "Rescheduled from" in appointment.notes
