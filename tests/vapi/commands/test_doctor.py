import io

import pytest
from django.core.management import CommandError, call_command

from apps.demo.services import seed_demo_business
from tests.businesses.factories import BusinessFactory
from tests.vapi.payloads import vapi_api
from tests.vapi.payloads.vapi_api import CREDENTIAL_ID, SERVER_URL, phone_number

# Shared fixtures: a fake VAPI behind respx, and the settings pointing at it.

pytestmark = pytest.mark.django_db


@pytest.fixture
def healthy(vapi_api_settings, fake_vapi):
    s = vapi_api_settings
    s.VAPI_WEBHOOK_SECRET = "a-long-random-webhook-secret-for-tests"
    s.OPENAI_API_KEY = "sk-test"
    s.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    s.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-token"}
    s.SMS_BACKEND = "apps.notifications.channels.TwilioSmsBackend"
    s.TWILIO_ACCOUNT_SID = "AC5f0c3e8d2b7a4f1e9c6d3b0a8f5e2c7d"
    s.TWILIO_AUTH_TOKEN = "twilio-token"
    s.TWILIO_FROM_NUMBER = "+15125550199"
    seed_demo_business(password="pw")
    number = phone_number(
        server={"url": SERVER_URL, "credentialId": CREDENTIAL_ID, "timeoutSeconds": 20},
        fallbackDestination={"type": "number", "number": "+15125550100"},
    )
    number.pop("assistantId")
    fake_vapi.add_phone_number(number)
    return s


def doctor(*args):
    out = io.StringIO()
    call_command("doctor", *args, stdout=out)
    return out.getvalue().splitlines()


def test_a_healthy_demo_setup_passes(healthy):
    lines = doctor()

    assert all(line.startswith("✓ ") for line in lines[:-1])
    assert (
        "✓ maison-belle: phone numbers: 1 on file, all pointing at VoiceHive" in lines
    )
    assert f"✓ VAPI webhook URL: {SERVER_URL}" in lines
    assert (
        lines[-1]
        == f"{len(lines) - 1} checks: {len(lines) - 1} passed, 0 warning(s), 0 failed."
    )


def test_missing_openai_key_warns_without_failing(healthy):
    healthy.OPENAI_API_KEY = ""

    lines = doctor()

    warning = next(line for line in lines if line.startswith("! OpenAI"))
    assert lines[lines.index(warning) + 1] == (
        "    fix: Set OPENAI_API_KEY to enable analysis."
    )
    assert lines[-1].endswith("1 warning(s), 0 failed.")


def test_a_number_pointing_elsewhere_fails_with_the_command_to_run(healthy, fake_vapi):
    fake_vapi.phone_numbers[vapi_api.PHONE_NUMBER_ID]["assistantId"] = "asst-1"
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 check\\(s\\) failed"):
        call_command("doctor", stdout=out)

    text = out.getvalue()
    assert "✗ maison-belle: phone numbers: 1 of 1 not pointing at VoiceHive" in text
    assert (
        "    fix: Run: python manage.py sync_vapi_assistant --business maison-belle"
        in text
    )


def test_a_broken_setup_prints_each_problem_and_its_fix(settings):
    settings.VAPI_WEBHOOK_SECRET = settings.VAPI_HMAC_SECRET = ""
    settings.VAPI_SERVER_URL = settings.VAPI_CREDENTIAL_ID = settings.VAPI_API_KEY = ""
    BusinessFactory(slug="bare")
    out = io.StringIO()

    with pytest.raises(CommandError, match="7 check\\(s\\) failed"):
        call_command("doctor", stdout=out)

    lines = out.getvalue().splitlines()
    failures = [line for line in lines if line.startswith("✗ ")]
    assert len(failures) == 7
    for line in failures:
        assert lines[lines.index(line) + 1].startswith("    fix: ")
    assert "✗ bare: opening hours: No opening hours" in out.getvalue()


def test_offline_skips_vapi(healthy, fake_vapi):
    lines = doctor("--offline")

    assert not fake_vapi.router.calls
    assert "✓ VAPI API key: set (not tried: --offline)" in lines
