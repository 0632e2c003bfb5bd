import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from apps.appointments import notices, tasks
from apps.notifications.models import Notification
from tests.appointments.factories import AppointmentFactory
from tests.leads.factories import LeadFactory
from voicehive.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_the_reminder_task_queues_due_reminders():
    lead = LeadFactory(has_sms_consent=False)
    appointment = AppointmentFactory(
        business=lead.business,
        lead=lead,
        start_at=timezone.now() + dt.timedelta(hours=3),
    )

    tasks.send_due_reminders()
    tasks.send_due_reminders()  # idempotent

    (reminder,) = Notification.objects.filter(kind="appointment_reminder")
    assert reminder.appointment == appointment
    assert reminder.channel == "email"
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is not None


def test_the_reminder_task_calls_the_service(mocker):
    send = mocker.patch.object(notices, "send_due_reminders", return_value=3)

    tasks.send_due_reminders()

    send.assert_called_once_with()


def test_reminder_task_options():
    task = tasks.send_due_reminders

    assert task.name == "appointments.send_due_reminders"
    assert task.acks_late and task.reject_on_worker_lost


def test_beat_looks_for_due_reminders_every_ten_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["send-due-reminders"]

    assert entry["task"] == tasks.send_due_reminders.name
    assert entry["schedule"] == 600.0
    assert entry["task"] in celery_app.tasks
