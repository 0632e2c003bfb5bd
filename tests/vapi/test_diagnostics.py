import pytest
import respx
from django.utils import timezone

from apps.calls.models import Call
from apps.demo.services import seed_demo_business
from apps.vapi import diagnostics
from apps.vapi.client import VapiClient
from tests.appointments.factories import ProviderFactory, ServiceFactory
from tests.businesses.factories import (
    BusinessFactory,
    OpeningHoursFactory,
    VapiPhoneNumberFactory,
)
from tests.calls.factories import CallFactory
from tests.vapi.payloads.vapi_api import (
    API_URL,
    CREDENTIAL_ID,
    PHONE_NUMBER_ID,
    SERVER_URL,
    error_body,
    phone_number,
)

# Shared fixtures: a fake VAPI behind respx, and the settings pointing at it.

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "a-long-random-webhook-secret-for-tests"


@pytest.fixture
def healthy_settings(vapi_api_settings):
    """Production-like settings: every integration configured."""
    s = vapi_api_settings
    s.VAPI_WEBHOOK_SECRET = WEBHOOK_SECRET
    s.VAPI_HMAC_SECRET = ""
    s.OPENAI_API_KEY = "sk-test"
    s.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    s.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-token", "WEBHOOK_SECRET": []}
    s.SMS_BACKEND = "apps.notifications.channels.TwilioSmsBackend"
    s.TWILIO_ACCOUNT_SID = "AC5f0c3e8d2b7a4f1e9c6d3b0a8f5e2c7d"
    s.TWILIO_AUTH_TOKEN = "twilio-token"
    s.TWILIO_FROM_NUMBER = "+15125550199"
    return s


def pointing_at_us(**changes):
    number = phone_number(
        server={"url": SERVER_URL, "credentialId": CREDENTIAL_ID, "timeoutSeconds": 20},
        fallbackDestination={"type": "number", "number": "+15125550100"},
    )
    number.pop("assistantId")
    number.update(changes)
    return number


def by_name(checks):
    return {check.name: check for check in checks}


# --- The whole run ---


def test_a_healthy_demo_setup_passes_every_check(healthy_settings, fake_vapi):
    seed_demo_business(password="pw")
    fake_vapi.add_phone_number(pointing_at_us())

    checks = diagnostics.run_checks()

    assert [c.name for c in checks if not c.ok or c.warning] == []
    assert by_name(checks)["maison-belle: phone numbers"].detail == (
        "1 on file, all pointing at VoiceHive"
    )
    assert by_name(checks)["maison-belle: services"].detail == "5 bookable"


def test_a_broken_setup_fails_with_a_fix_for_each_problem(settings):
    settings.VAPI_WEBHOOK_SECRET = settings.VAPI_HMAC_SECRET = ""
    settings.VAPI_SERVER_URL = settings.VAPI_CREDENTIAL_ID = settings.VAPI_API_KEY = ""
    BusinessFactory(slug="bare", transfer_number="")

    checks = diagnostics.run_checks()

    failed = {c.name for c in checks if not c.ok}
    assert failed == {
        "VAPI webhook secret",
        "VAPI webhook URL",
        "VAPI credential",
        "VAPI API key",
        "bare: phone numbers",
        "bare: opening hours",
        "bare: services",
    }
    assert all(c.fix for c in checks if not c.ok)


def test_offline_makes_no_request_to_vapi(healthy_settings):
    seed_demo_business(password="pw")

    with respx.mock(assert_all_called=False) as router:
        checks = diagnostics.run_checks(offline=True)

    assert not router.calls
    assert by_name(checks)["VAPI API key"].detail == "set (not tried: --offline)"
    assert by_name(checks)["maison-belle: phone numbers"].detail == (
        "1 on file (VAPI not checked)"
    )


def test_no_active_business_is_a_failure(healthy_settings, fake_vapi):
    BusinessFactory(is_active=False)

    checks = diagnostics.run_checks()

    assert by_name(checks)["Businesses"].ok is False


def test_without_a_database_the_business_checks_are_not_attempted(
    healthy_settings,
    fake_vapi,
    mocker,
):
    mocker.patch(
        "apps.core.health.check_database", return_value="OperationalError: gone"
    )
    mocker.patch.object(diagnostics, "CONFIG_CHECKS", (diagnostics.check_database,))

    checks = diagnostics.run_checks(offline=True)

    assert [c.name for c in checks] == ["Database", "VAPI API key"]
    assert checks[0].problem == "OperationalError: gone"


# --- Infrastructure ---


def test_the_database_and_migrations_pass_in_tests():
    assert diagnostics.check_database().ok
    assert diagnostics.check_migrations().detail == "all applied"


def test_an_unreachable_broker_fails(mocker):
    mocker.patch("apps.core.health.check_broker", return_value="ConnectionError: no")

    check = diagnostics.check_broker()

    assert (check.ok, check.problem) == (False, "ConnectionError: no")
    assert "REDIS_URL" in check.fix


# --- Integrations ---


def test_a_missing_openai_key_is_only_a_warning(settings):
    settings.OPENAI_API_KEY = ""

    check = diagnostics.check_openai()

    assert (check.ok, check.warning) == (True, True)
    assert "analysis is skipped" in check.problem


@pytest.mark.parametrize(
    ("backend", "anymail", "ok", "warning", "text"),
    [
        ("django.core.mail.backends.console.EmailBackend", {}, True, True, "not sent"),
        (
            "anymail.backends.postmark.EmailBackend",
            {},
            False,
            False,
            "no postmark API key",
        ),
        (
            "anymail.backends.postmark.EmailBackend",
            {"POSTMARK_SERVER_TOKEN": "t"},
            True,
            False,
            "postmark via anymail",
        ),
        (
            "anymail.backends.mailgun.EmailBackend",
            {"MAILGUN_WEBHOOK_SIGNING_KEY": "only-the-webhook-key"},
            False,
            False,
            "no mailgun API key",
        ),
    ],
)
def test_email_reports_the_backend_and_its_key(
    settings, backend, anymail, ok, warning, text
):
    settings.EMAIL_BACKEND = backend
    settings.ANYMAIL = anymail

    check = diagnostics.check_email()

    assert (check.ok, check.warning) == (ok, warning)
    assert text in (check.problem or check.detail)


def test_smtp_without_a_host_fails(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "localhost"

    assert diagnostics.check_email().ok is False


def test_console_sms_is_a_warning(settings):
    settings.SMS_BACKEND = "apps.notifications.channels.ConsoleSmsBackend"

    check = diagnostics.check_sms()

    assert (check.ok, check.warning) == (True, True)


def test_twilio_without_its_credentials_names_what_is_missing(healthy_settings):
    healthy_settings.TWILIO_AUTH_TOKEN = ""
    healthy_settings.TWILIO_FROM_NUMBER = ""

    check = diagnostics.check_sms()

    assert check.ok is False
    assert check.problem == (
        "Twilio is selected but TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER not set."
    )


def test_twilio_with_a_bad_sender_number_fails(healthy_settings):
    healthy_settings.TWILIO_FROM_NUMBER = "VoiceHive"

    assert "not a phone number" in diagnostics.check_sms().problem


def test_an_sms_backend_that_cannot_be_imported_fails(settings):
    settings.SMS_BACKEND = "apps.notifications.channels.NoSuchBackend"

    assert diagnostics.check_sms().ok is False


# --- VAPI ---


def test_no_webhook_secret_fails_and_a_short_one_warns(settings):
    settings.VAPI_WEBHOOK_SECRET = settings.VAPI_HMAC_SECRET = ""
    assert diagnostics.check_webhook_secret().ok is False

    settings.VAPI_WEBHOOK_SECRET = "short"
    assert diagnostics.check_webhook_secret().warning is True

    settings.VAPI_HMAC_SECRET = WEBHOOK_SECRET
    settings.VAPI_WEBHOOK_SECRET = WEBHOOK_SECRET
    assert diagnostics.check_webhook_secret().detail == "bearer and HMAC configured"


@pytest.mark.parametrize(
    ("url", "problem", "fix"),
    [
        (
            "",
            "VAPI_SERVER_URL is not set",
            "https://<your public host>/api/v1/vapi/webhook/",
        ),
        (
            "http://voicehive.example.com/api/v1/vapi/webhook/",
            "is not an https:// URL",
            "https://voicehive.example.com/api/v1/vapi/webhook/",
        ),
        (
            "https://voicehive.example.com/vapi/webhook",
            "not our webhook path '/api/v1/vapi/webhook/'",
            "https://voicehive.example.com/api/v1/vapi/webhook/",
        ),
        (
            "https://elsewhere.example.com/api/v1/vapi/webhook/",
            "elsewhere.example.com is not in ALLOWED_HOSTS",
            "Add elsewhere.example.com to ALLOWED_HOSTS.",
        ),
    ],
)
def test_the_webhook_url_must_reach_this_webhook(vapi_api_settings, url, problem, fix):
    vapi_api_settings.VAPI_SERVER_URL = url

    check = diagnostics.check_webhook_url()

    assert check.ok is False
    assert problem in check.problem
    assert fix in check.fix


def test_a_correct_webhook_url_passes(vapi_api_settings):
    assert diagnostics.check_webhook_url().detail == SERVER_URL


def test_a_missing_credential_id_fails(vapi_api_settings):
    vapi_api_settings.VAPI_CREDENTIAL_ID = ""

    assert (
        "VAPI_CREDENTIAL_ID is not set" in diagnostics.check_vapi_credential().problem
    )


@respx.mock
def test_a_rejected_api_key_fails_with_the_key_fix(vapi_api_settings):
    respx.get(f"{API_URL}/phone-number").respond(401, json=error_body(401))

    check = diagnostics.check_vapi_api()

    assert check.ok is False
    assert "answered 401: Invalid Key" in check.problem
    assert "private key" in check.fix


@respx.mock
def test_an_accepted_api_key_passes(vapi_api_settings):
    route = respx.get(f"{API_URL}/phone-number").respond(200, json=[phone_number()])

    check = diagnostics.check_vapi_api()

    assert check.ok is True
    assert route.calls.last.request.url.params["limit"] == "1"


def _erased_call(**fields):
    return CallFactory(
        purged_at=timezone.now(), purge_reason=Call.PurgeReason.ERASURE, **fields
    )


def test_erased_calls_vapi_keeps_without_a_key_are_a_warning_with_the_fix(settings):
    settings.VAPI_API_KEY = ""
    settings.VAPI_DELETE_PURGED_CALLS = False
    _erased_call()
    _erased_call(vapi_deleted_at=timezone.now())

    check = diagnostics.check_vapi_deletions()

    assert (check.ok, check.warning) == (True, True)
    assert check.problem == (
        "VAPI still holds the recording and transcript of 1 erased call(s): "
        "without VAPI_API_KEY they cannot be deleted there."
    )
    assert "Set VAPI_API_KEY" in check.fix


def test_erased_calls_waiting_with_a_key_pass(vapi_api_settings):
    vapi_api_settings.VAPI_DELETE_PURGED_CALLS = True
    _erased_call()
    CallFactory(purged_at=timezone.now(), purge_reason=Call.PurgeReason.RETENTION)

    check = diagnostics.check_vapi_deletions()

    assert (check.ok, check.warning) == (True, False)
    assert check.detail == "2 erased or purged call(s) being deleted at VAPI"


def test_no_erased_call_waiting_adds_no_check(settings):
    settings.VAPI_API_KEY = ""
    settings.VAPI_DELETE_PURGED_CALLS = False
    CallFactory(purged_at=timezone.now(), purge_reason=Call.PurgeReason.RETENTION)

    assert diagnostics.check_vapi_deletions() is None
    assert "VAPI copies of erased calls" not in by_name(
        diagnostics.run_checks(offline=True)
    )


def test_the_doctor_run_includes_erased_calls_vapi_keeps(settings):
    settings.VAPI_API_KEY = ""
    _erased_call()

    checks = by_name(diagnostics.run_checks(offline=True))

    assert checks["VAPI copies of erased calls"].warning


# --- Businesses ---


@pytest.fixture
def salon():
    business = BusinessFactory(slug="salon", transfer_number="+15125550100")
    VapiPhoneNumberFactory(
        business=business, vapi_phone_number_id=PHONE_NUMBER_ID, number="+15125550142"
    )
    OpeningHoursFactory(business=business)
    service = ServiceFactory(business=business, name="haircut")
    ProviderFactory(business=business).services.add(service)
    return business


def business_checks(business, client=None):
    return by_name(diagnostics.check_business(business, client=client))


def test_a_number_vapi_routes_elsewhere_fails_with_the_sync_command(
    healthy_settings,
    fake_vapi,
    salon,
):
    fake_vapi.add_phone_number(phone_number())
    with VapiClient.from_settings() as client:
        check = business_checks(salon, client)["salon: phone numbers"]

    assert check.ok is False
    assert "1 of 1 not pointing at VoiceHive" in check.problem
    assert "server.url: 'https://api.maisonbelle.example/vapi/webhook'" in check.problem
    assert check.fix == "Run: python manage.py sync_vapi_assistant --business salon"


def test_a_number_vapi_does_not_know_fails(healthy_settings, fake_vapi, salon):
    with VapiClient.from_settings() as client:
        check = business_checks(salon, client)["salon: phone numbers"]

    assert "404: Phone Number Not Found" in check.problem


def test_a_service_nobody_does_fails(salon):
    ServiceFactory(business=salon, name="balayage")

    check = business_checks(salon)["salon: services"]

    assert check.problem == (
        "No active provider does: balayage; they can never be booked."
    )


def test_inactive_services_and_providers_do_not_count(salon):
    salon.services.update(is_active=False)

    assert business_checks(salon)["salon: services"].ok is False


def test_missing_transfer_number_and_alert_contacts_are_warnings(salon):
    salon.transfer_number = ""
    salon.notification_emails = salon.notification_phones = ""
    salon.save()

    checks = business_checks(salon)

    assert checks["salon: transfers"].warning is True
    assert checks["salon: alerts"].warning is True
    assert checks["salon: opening hours"].detail == "open 1 day(s) a week"
