import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.notifications.models import Notification
from tests.appointments.factories import AppointmentFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def due():
    lead = LeadFactory(name="Dana Whitfield")
    return AppointmentFactory(
        business=lead.business,
        lead=lead,
        start_at=timezone.now() + dt.timedelta(hours=20),
    )


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_appointment_reminders", *args, stdout=out)
    return out.getvalue()


def test_the_command_queues_due_reminders(due):
    AppointmentFactory(start_at=timezone.now() + dt.timedelta(days=3))

    assert run() == "Reminders queued for 1 appointments.\n"

    assert Notification.objects.filter(appointment=due).count() == 2
    due.refresh_from_db()
    assert due.reminder_sent_at is not None


def test_a_dry_run_lists_what_is_due_and_queues_nothing(due):
    output = run("--dry-run")

    assert f"{due.pk}: " in output
    assert "Dana Whitfield" in output
    assert output.endswith("1 appointments due a reminder (dry run).\n")
    assert not Notification.objects.exists()
    assert Appointment.objects.get(pk=due.pk).reminder_sent_at is None
