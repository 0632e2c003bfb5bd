import pytest
from django.core import checks
from django.core.checks.registry import registry

from apps.notifications.checks import check_email, check_sms

# The notifications conftest sets test email and SMS backends; each test sets its own.

TWILIO = "apps.notifications.channels.TwilioSmsBackend"


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = TWILIO
    settings.TWILIO_ACCOUNT_SID = "AC5f0c3e8d2b7a4f1e9c6d3b0a8f5e2c7d"
    settings.TWILIO_AUTH_TOKEN = "twilio-token"
    settings.TWILIO_FROM_NUMBER = "+15125550199"
    return settings


def test_the_checks_run_only_under_check_deploy():
    for check in (check_email, check_sms):
        assert check in registry.deployment_checks
        assert check not in registry.registered_checks


# --- Email ---


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ],
)
def test_email_kept_on_this_machine_is_a_warning(settings, backend):
    settings.EMAIL_BACKEND = backend

    assert check_email() == [
        checks.Warning(
            f"EMAIL_BACKEND is {backend}: staff alerts and confirmations are not sent.",
            hint="Set EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend and "
            "ANYMAIL_API_KEY, or EMAIL_BACKEND="
            "django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST, "
            "EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS.",
            id="notifications.W001",
        )
    ]


@pytest.mark.parametrize(
    ("esp", "anymail"),
    [
        ("postmark", {}),
        ("postmark", {"WEBHOOK_SECRET": ["user:pass"]}),
        ("mailgun", {"MAILGUN_WEBHOOK_SIGNING_KEY": "only-the-webhook-key"}),
        ("resend", {"RESEND_SIGNING_SECRET": "only-the-webhook-key"}),
        ("mailtrap", {"MAILTRAP_TRACKING_SECRET": "only-the-webhook-key"}),
    ],
)
def test_anymail_without_the_esps_api_key_is_an_error(settings, esp, anymail):
    settings.EMAIL_BACKEND = f"anymail.backends.{esp}.EmailBackend"
    settings.ANYMAIL = anymail

    assert check_email() == [
        checks.Error(
            f"EMAIL_BACKEND uses {esp} but no {esp} API key is configured.",
            hint="Set ANYMAIL_API_KEY to the provider's API key.",
            id="notifications.E001",
        )
    ]


def test_anymail_with_the_esps_api_key_passes(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "pm-token", "WEBHOOK_SECRET": []}

    assert check_email() == []


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.example.com"
    settings.EMAIL_PORT = 587
    settings.EMAIL_HOST_USER = "roxy"
    settings.EMAIL_HOST_PASSWORD = "secret"
    settings.EMAIL_USE_TLS = True
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 20.0
    return settings


def test_smtp_without_a_host_is_an_error(smtp):
    smtp.EMAIL_HOST = "localhost"

    (error,) = check_email()
    assert error.id == "notifications.E002"
    assert error.level == checks.ERROR
    for name in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS"):
        assert name in error.hint


def test_smtp_fully_configured_passes(smtp):
    assert check_email() == []


@pytest.mark.parametrize(
    ("changes", "check_id"),
    [
        ({"EMAIL_USE_SSL": True}, "notifications.E006"),
        ({"EMAIL_HOST_PASSWORD": ""}, "notifications.E007"),
        ({"EMAIL_USE_TLS": False}, "notifications.W003"),
        ({"EMAIL_TIMEOUT": None}, "notifications.E008"),
    ],
    ids=["tls-and-ssl", "user-without-password", "clear-text", "no-timeout"],
)
def test_smtp_settings_that_would_fail_are_reported(smtp, changes, check_id):
    for name, value in changes.items():
        setattr(smtp, name, value)

    assert [message.id for message in check_email()] == [check_id]


def test_the_smtp_settings_are_read_from_the_environment():
    """Every setting the check (and the fix it prints) names exists in settings."""
    from voicehive import settings as module

    for name in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"):
        assert hasattr(module, name)
    for name in ("EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT"):
        assert hasattr(module, name)


# --- SMS ---


@pytest.mark.parametrize("name", ["ConsoleSmsBackend", "LocmemSmsBackend"])
def test_sms_kept_on_this_machine_is_a_warning(settings, name):
    settings.SMS_BACKEND = f"apps.notifications.channels.{name}"

    assert check_sms() == [
        checks.Warning(
            f"SMS_BACKEND is {name}: texts are not sent.",
            hint="Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER.",
            id="notifications.W002",
        )
    ]


def test_an_sms_backend_that_cannot_be_imported_is_an_error(settings):
    settings.SMS_BACKEND = "apps.notifications.channels.NoSuchBackend"

    [message] = check_sms()

    assert (message.id, message.level) == ("notifications.E003", checks.ERROR)
    assert message.msg.startswith("SMS_BACKEND cannot be imported: ")
    assert message.hint == "Fix SMS_BACKEND."


def test_twilio_without_its_credentials_names_what_is_missing(twilio):
    twilio.TWILIO_AUTH_TOKEN = ""
    twilio.TWILIO_FROM_NUMBER = ""

    assert check_sms() == [
        checks.Error(
            "Twilio is selected but TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER not set.",
            hint="Set TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER.",
            id="notifications.E004",
        )
    ]


def test_twilio_with_a_bad_sender_number_is_an_error(twilio):
    twilio.TWILIO_FROM_NUMBER = "VoiceHive"

    assert check_sms() == [
        checks.Error(
            "TWILIO_FROM_NUMBER 'VoiceHive' is not a phone number.",
            hint="Set TWILIO_FROM_NUMBER to your Twilio number in E.164 "
            "(+15125550100).",
            id="notifications.E005",
        )
    ]


def test_twilio_fully_configured_passes(twilio):
    assert check_sms() == []
