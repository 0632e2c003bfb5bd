"""Notification tests send email through anymail's test backend and SMS into a list."""

import pytest

from apps.notifications.channels import LocmemSmsBackend


@pytest.fixture(autouse=True)
def outboxes(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.SMS_BACKEND = "apps.notifications.channels.LocmemSmsBackend"
    settings.QUIET_HOURS_START = "21:00"
    settings.QUIET_HOURS_END = "08:00"
    LocmemSmsBackend.outbox = []
    yield
    LocmemSmsBackend.outbox = []


@pytest.fixture
def sms_outbox():
    return LocmemSmsBackend.outbox
