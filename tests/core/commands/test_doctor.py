import io

import pytest
from django.core.management import CommandError, call_command

from apps.businesses.models import VapiPhoneNumber
from apps.demo.services import seed_demo_business
from tests.businesses.factories import BusinessFactory
from tests.vapi.payloads import vapi_api
from tests.vapi.payloads.vapi_api import number_pointing_at_us

pytestmark = pytest.mark.django_db


@pytest.fixture
def healthy(vapi_api_settings, fake_vapi):
    """A production configuration, the demo business, and its number pointing at us."""
    s = vapi_api_settings
    # Django's own deploy checks run too: a real key, and HTTPS as in production.
    s.SECRET_KEY = "a-long-random-secret-key-for-tests-0123456789abcdefghij"
    s.SECURE_SSL_REDIRECT = True
    s.VAPI_WEBHOOK_SECRET = "a-long-random-webhook-secret-for-tests"
    s.VAPI_HMAC_SECRET = ""
    s.OPENAI_API_KEY = "sk-test"
    s.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    s.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-token"}
    s.SMS_BACKEND = "apps.notifications.channels.TwilioSmsBackend"
    s.TWILIO_ACCOUNT_SID = "AC5f0c3e8d2b7a4f1e9c6d3b0a8f5e2c7d"
    s.TWILIO_AUTH_TOKEN = "twilio-token"
    s.TWILIO_FROM_NUMBER = "+15125550199"
    # Calendar secrets need a key of their own in production (calendars.E002).
    s.CALENDAR_ENCRYPTION_KEYS = ["kvIZ3yO0pVuZ2O3vB8v8dG5m6cI3Qb0l4kZ0vRr7oB8="]
    seed_demo_business(password="pw")
    fake_vapi.add_phone_number(number_pointing_at_us())
    # The second demo business (clinica-sol) has its own number: synced too.
    others = VapiPhoneNumber.objects.exclude(
        vapi_phone_number_id=vapi_api.PHONE_NUMBER_ID
    )
    for other in others:
        fake_vapi.add_phone_number(
            number_pointing_at_us(id=other.vapi_phone_number_id, number=other.number)
        )
    return s


def doctor(*args):
    out = io.StringIO()
    call_command("doctor", *args, stdout=out)
    return out.getvalue().splitlines()


def failing_doctor(*args):
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("doctor", *args, stdout=out)
    return str(failure.value), out.getvalue().splitlines()


def test_a_healthy_demo_setup_passes(healthy):
    lines = doctor()

    assert all(line.startswith("✓ ") for line in lines[:-1])
    assert lines[0] == "✓ System checks (check --deploy): no issues"
    assert "✓ core.I002 Migrations: all applied" in lines
    assert (
        f"✓ vapi.I006 VAPI API key: accepted by {vapi_api.API_URL} (1 number(s) seen)"
        in lines
    )
    assert (
        "✓ vapi.I008 maison-belle: phone numbers at VAPI: 1 of 1 pointing at VoiceHive"
        in lines
    )
    assert "✓ appointments.I001 maison-belle: services: 5 bookable" in lines
    checked = len(lines) - 1
    assert lines[-1] == f"{checked} checks: {checked} passed, 0 warning(s), 0 failed."


def test_missing_openai_key_warns_without_failing(healthy):
    healthy.OPENAI_API_KEY = ""

    lines = doctor()

    warning = next(line for line in lines if line.startswith("! calls.W001 "))
    assert warning.endswith(
        "post-call analysis is skipped (calls are marked 'skipped', no lead scoring)."
    )
    assert lines[lines.index(warning) + 1] == (
        "    fix: Set OPENAI_API_KEY to enable analysis."
    )
    assert lines[-1].endswith("1 warning(s), 0 failed.")


def test_a_silenced_check_is_not_reported(healthy):
    healthy.OPENAI_API_KEY = ""
    healthy.SILENCED_SYSTEM_CHECKS = [*healthy.SILENCED_SYSTEM_CHECKS, "calls.W001"]

    lines = doctor()

    assert not any("calls.W001" in line for line in lines)
    assert lines[-1].endswith("0 warning(s), 0 failed.")


def test_a_number_pointing_elsewhere_fails_with_the_command_to_run(healthy, fake_vapi):
    fake_vapi.phone_numbers[vapi_api.PHONE_NUMBER_ID]["assistantId"] = "asst-1"

    error, lines = failing_doctor()

    assert error == "1 check(s) failed; see the fixes above."
    failure = next(line for line in lines if line.startswith("✗ "))
    assert failure.startswith(
        "✗ vapi.E008 maison-belle: phone numbers at VAPI: 1 of 1 not pointing at "
        "VoiceHive"
    )
    assert lines[lines.index(failure) + 1] == (
        "    fix: Run: python manage.py sync_vapi_assistant --business maison-belle"
    )


def test_a_broken_setup_prints_each_problem_and_its_fix(settings):
    settings.VAPI_WEBHOOK_SECRET = settings.VAPI_HMAC_SECRET = ""
    settings.VAPI_SERVER_URL = settings.VAPI_CREDENTIAL_ID = settings.VAPI_API_KEY = ""
    BusinessFactory(slug="bare")

    error, lines = failing_doctor()

    failures = [line for line in lines if line.startswith("✗ ")]
    assert [line.split()[1] for line in failures] == [
        "calendars.E002",
        "vapi.E001",
        "vapi.E002",
        "vapi.E004",
        "vapi.E005",
        "businesses.E002",
        "appointments.E001",
        "vapi.E007",
    ]
    for line in failures:
        assert lines[lines.index(line) + 1].startswith("    fix: ")
    assert (
        "✗ businesses.E002 bare: opening hours: No opening hours: Roxy says the "
        "business is closed and offers no slots." in lines
    )
    assert error == "8 check(s) failed; see the fixes above."


def test_offline_makes_no_request_to_vapi(healthy, fake_vapi):
    lines = doctor("--offline")

    assert not fake_vapi.router.calls
    assert "✓ vapi.I007 maison-belle: phone numbers: 1 on file" in lines
    assert not any(line.startswith("✓ vapi.I006 ") for line in lines)
    assert lines[-1].endswith("0 failed. VAPI not asked (--offline).")
