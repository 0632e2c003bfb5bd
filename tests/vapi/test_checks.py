import pytest
import respx
from django.core import checks
from django.core.checks.registry import registry

from apps.core import probes
from apps.vapi import checks as vapi_checks
from tests.businesses.factories import BusinessFactory, VapiPhoneNumberFactory
from tests.vapi.payloads.vapi_api import (
    API_URL,
    CREDENTIAL_ID,
    PHONE_NUMBER_ID,
    error_body,
    number_pointing_at_us,
    phone_number,
)

# Shared fixtures: a fake VAPI behind respx, and the settings pointing at it.

WEBHOOK_SECRET = "a-long-random-webhook-secret-for-tests"


def ids(messages):
    return [(message.id, message.obj) for message in messages]


def test_the_settings_checks_run_only_under_check_deploy():
    for check in (
        vapi_checks.check_webhook_secret,
        vapi_checks.check_server_url,
        vapi_checks.check_credential,
        vapi_checks.check_api_key_set,
    ):
        assert check in registry.deployment_checks
        assert check not in registry.registered_checks


def test_the_probes_that_call_vapi_are_tagged_so_offline_skips_them():
    assert probes.NETWORK in vapi_checks.check_api_key_accepted.tags
    assert probes.NETWORK in vapi_checks.check_numbers_at_vapi.tags
    assert probes.NETWORK not in vapi_checks.check_numbers_on_file.tags


# --- Webhook secret ---


def test_no_webhook_secret_is_an_error(settings):
    settings.VAPI_WEBHOOK_SECRET = settings.VAPI_HMAC_SECRET = ""

    [message] = vapi_checks.check_webhook_secret()

    assert message.id == "vapi.E001"
    assert message.level == checks.ERROR
    assert message.msg == (
        "Neither VAPI_WEBHOOK_SECRET nor VAPI_HMAC_SECRET is set: the webhook "
        "refuses every VAPI request."
    )
    assert "secrets.token_urlsafe(32)" in message.hint


def test_a_short_webhook_secret_is_a_warning(settings):
    settings.VAPI_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.VAPI_HMAC_SECRET = "short"

    assert vapi_checks.check_webhook_secret() == [
        checks.Warning(
            "A webhook secret is shorter than 24 characters.",
            hint="Use a longer random secret (and update the VAPI credential).",
            id="vapi.W001",
        )
    ]


def test_long_bearer_and_hmac_secrets_pass(settings):
    settings.VAPI_WEBHOOK_SECRET = settings.VAPI_HMAC_SECRET = WEBHOOK_SECRET

    assert vapi_checks.check_webhook_secret() == []


# --- Webhook URL, credential, API key ---


@pytest.mark.parametrize(
    ("url", "check_id", "problem", "fix"),
    [
        (
            "",
            "vapi.E002",
            "VAPI_SERVER_URL is not set",
            "https://<your public host>/api/v1/vapi/webhook/",
        ),
        (
            "http://voicehive.example.com/api/v1/vapi/webhook/",
            "vapi.E002",
            "is not an https:// URL",
            "https://voicehive.example.com/api/v1/vapi/webhook/",
        ),
        (
            "https://voicehive.example.com/vapi/webhook",
            "vapi.E002",
            "not our webhook path '/api/v1/vapi/webhook/'",
            "https://voicehive.example.com/api/v1/vapi/webhook/",
        ),
        (
            "https://elsewhere.example.com/api/v1/vapi/webhook/",
            "vapi.E003",
            "elsewhere.example.com is not in ALLOWED_HOSTS",
            "Add elsewhere.example.com to ALLOWED_HOSTS.",
        ),
    ],
)
def test_the_server_url_must_reach_this_webhook(
    vapi_api_settings, url, check_id, problem, fix
):
    vapi_api_settings.VAPI_SERVER_URL = url

    [message] = vapi_checks.check_server_url()

    assert (message.id, message.level) == (check_id, checks.ERROR)
    assert problem in message.msg
    assert fix in message.hint


def test_a_correct_server_url_passes(vapi_api_settings):
    assert vapi_checks.check_server_url() == []


def test_a_missing_credential_id_is_an_error(vapi_api_settings):
    vapi_api_settings.VAPI_CREDENTIAL_ID = ""

    [message] = vapi_checks.check_credential()

    assert message.id == "vapi.E004"
    assert message.msg.startswith("VAPI_CREDENTIAL_ID is not set")
    vapi_api_settings.VAPI_CREDENTIAL_ID = CREDENTIAL_ID
    assert vapi_checks.check_credential() == []


def test_a_missing_api_key_is_an_error(vapi_api_settings):
    vapi_api_settings.VAPI_API_KEY = ""

    assert vapi_checks.check_api_key_set() == [
        checks.Error(
            "VAPI_API_KEY is not set: phone numbers cannot be synced and lost "
            "end-of-call reports cannot be recovered.",
            hint="Copy the private API key from the VAPI dashboard into VAPI_API_KEY.",
            id="vapi.E005",
        )
    ]
    vapi_api_settings.VAPI_API_KEY = "vapi-private-key"
    assert vapi_checks.check_api_key_set() == []


# --- Probe: the API key at VAPI ---


@respx.mock
def test_a_rejected_api_key_fails_with_the_key_fix(vapi_api_settings):
    respx.get(f"{API_URL}/phone-number").respond(401, json=error_body(401))

    [message] = vapi_checks.check_api_key_accepted()

    assert (message.id, message.level) == ("vapi.E006", checks.ERROR)
    assert "answered 401: Invalid Key" in message.msg
    assert "private key" in message.hint


@respx.mock
def test_vapi_out_of_reach_fails_with_the_network_fix(vapi_api_settings):
    respx.get(f"{API_URL}/phone-number").respond(503)

    [message] = vapi_checks.check_api_key_accepted()

    assert message.id == "vapi.E006"
    assert message.hint == "Check VAPI_API_URL and the network, then try again."


@respx.mock
def test_an_accepted_api_key_passes(vapi_api_settings):
    route = respx.get(f"{API_URL}/phone-number").respond(200, json=[phone_number()])

    assert vapi_checks.check_api_key_accepted() == [
        checks.Info(
            f"VAPI API key: accepted by {API_URL} (1 number(s) seen)", id="vapi.I006"
        )
    ]
    assert route.calls.last.request.url.params["limit"] == "1"


def test_without_an_api_key_vapi_is_not_asked(settings):
    settings.VAPI_API_KEY = ""

    with respx.mock(assert_all_called=False) as router:
        assert vapi_checks.check_api_key_accepted() == []
        assert vapi_checks.check_numbers_at_vapi() == []

    assert not router.calls


# --- Probes: each business's numbers ---


@pytest.mark.django_db
def test_a_business_without_a_number_is_an_error_and_inactive_ones_are_skipped():
    VapiPhoneNumberFactory(business__slug="salon")
    VapiPhoneNumberFactory(business__slug="closed", business__is_active=False)
    BusinessFactory(slug="bare")

    messages = vapi_checks.check_numbers_on_file()

    assert ids(messages) == [("vapi.E007", "bare"), ("vapi.I007", "salon")]
    assert messages[0].msg == (
        "phone numbers: No VAPI phone number on file: no call can reach this business."
    )
    assert messages[1].msg == "phone numbers: 1 on file"


@pytest.fixture
def salon(db):
    business = BusinessFactory(slug="salon")
    VapiPhoneNumberFactory(
        business=business, vapi_phone_number_id=PHONE_NUMBER_ID, number="+15125550142"
    )
    return business


def test_a_number_pointing_at_us_passes(vapi_api_settings, fake_vapi, salon):
    fake_vapi.add_phone_number(number_pointing_at_us())

    assert vapi_checks.check_numbers_at_vapi() == [
        checks.Info(
            "phone numbers at VAPI: 1 of 1 pointing at VoiceHive",
            obj="salon",
            id="vapi.I008",
        )
    ]


def test_a_number_vapi_routes_elsewhere_fails_with_the_sync_command(
    vapi_api_settings, fake_vapi, salon
):
    fake_vapi.add_phone_number(phone_number())

    [message] = vapi_checks.check_numbers_at_vapi()

    assert (message.id, message.obj) == ("vapi.E008", "salon")
    assert "1 of 1 not pointing at VoiceHive" in message.msg
    assert "server.url: 'https://api.maisonbelle.example/vapi/webhook'" in message.msg
    assert message.hint == "Run: python manage.py sync_vapi_assistant --business salon"


def test_a_number_vapi_does_not_know_fails_and_the_next_business_is_checked(
    vapi_api_settings, fake_vapi, salon
):
    other = VapiPhoneNumberFactory(business__slug="spa", number="+15125550142")
    fake_vapi.add_phone_number(number_pointing_at_us(id=other.vapi_phone_number_id))

    messages = vapi_checks.check_numbers_at_vapi()

    assert ids(messages) == [("vapi.E009", "salon"), ("vapi.I008", "spa")]
    assert "404: Phone Number Not Found" in messages[0].msg
    assert messages[0].hint == "Fix the id in the admin, or the VAPI settings above."


def test_a_refused_key_is_reported_once_not_for_every_business(
    vapi_api_settings, fake_vapi, salon
):
    VapiPhoneNumberFactory(business__slug="spa")
    fake_vapi.fail(401)

    messages = vapi_checks.check_numbers_at_vapi()

    assert ids(messages) == [("vapi.E009", "salon")]
    assert len(fake_vapi.router.calls) == 1


def test_unusable_webhook_settings_leave_vapi_alone(
    vapi_api_settings, fake_vapi, salon
):
    vapi_api_settings.VAPI_CREDENTIAL_ID = ""

    assert vapi_checks.check_numbers_at_vapi() == []
    assert not fake_vapi.router.calls
