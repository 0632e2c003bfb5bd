import base64
import smtplib
from urllib.parse import parse_qs

import httpx
import pytest
import requests
from anymail.exceptions import AnymailAPIError, AnymailRequestsAPIError
from anymail.message import AnymailRecipientStatus
from django.core import mail

from apps.notifications import channels
from apps.notifications.channels import DeliveryError
from tests.notifications.factories import NotificationFactory, SmsNotificationFactory

TWILIO_URL = "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "apps.notifications.channels.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID = "AC123"
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_FROM_NUMBER = "+15125550100"
    settings.TWILIO_API_BASE_URL = "https://api.twilio.com"


def esp_error(status_code: int) -> AnymailRequestsAPIError:
    response = requests.Response()
    response.status_code = status_code
    response.reason = "Error"
    response._content = b'{"message": "nope"}'
    return AnymailRequestsAPIError("ESP said no", response=response)


def send_test_email(**kwargs):
    defaults = {"to": "dana@example.com", "subject": "Hi", "body": "Hello"}
    return channels.send_email(**(defaults | kwargs))


# --- Email ---


def test_email_goes_out_with_html_attachment_and_business_name():
    invite = {
        "filename": "invite.ics",
        "content": "BEGIN:VCALENDAR",
        "mimetype": "text/calendar",
    }

    message_id = send_test_email(
        html_body="<p>Hello</p>", attachments=[invite], from_name="Maison Belle"
    )

    (sent,) = mail.outbox
    assert message_id == "0"  # anymail's test backend numbers messages
    assert sent.to == ["dana@example.com"]
    assert sent.from_email.startswith("Maison Belle <")
    assert sent.alternatives[0][0] == "<p>Hello</p>"
    assert sent.attachments[0][0] == "invite.ics"
    assert sent.attachments[0][2] == "text/calendar"


def test_backends_without_message_ids_return_empty(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert send_test_email() == ""
    assert len(mail.outbox) == 1


def test_email_recipient_refused_is_permanent(mocker):
    rejected = AnymailRecipientStatus(message_id=None, status="rejected")
    mocker.patch(
        "anymail.backends.test.EmailBackend.post_to_esp",
        return_value={"recipient_status": {"dana@example.com": rejected}},
    )

    with pytest.raises(DeliveryError) as caught:
        send_test_email()

    assert caught.value.permanent


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (esp_error(400), True),
        (esp_error(401), True),
        (esp_error(422), True),
        (esp_error(429), False),
        (esp_error(500), False),
        (esp_error(503), False),
        (
            AnymailAPIError("connection reset"),
            False,
        ),  # no status: never reached the ESP
    ],
)
def test_esp_api_errors_are_classified_by_status(mocker, error, permanent):
    mocker.patch("anymail.backends.test.EmailBackend.post_to_esp", side_effect=error)

    with pytest.raises(DeliveryError) as caught:
        send_test_email()

    assert caught.value.permanent is permanent


def test_invalid_address_is_permanent():
    with pytest.raises(DeliveryError) as caught:
        send_test_email(to="not an address@@")

    assert caught.value.permanent


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"dana@example.com": (550, b"no")}), True),
        (smtplib.SMTPRecipientsRefused({"dana@example.com": (450, b"grey")}), False),
        (smtplib.SMTPDataError(554, b"message rejected"), True),
        (smtplib.SMTPDataError(421, b"try again later"), False),
        (smtplib.SMTPSenderRefused(451, b"busy", "roxy@example.com"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad login"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (TimeoutError("timed out"), False),
        (ConnectionRefusedError(), False),
    ],
    ids=[
        "550-recipient",
        "450-greylisted",
        "554-data",
        "421-data",
        "451-sender",
        "535-login",
        "disconnected",
        "timeout",
        "refused",
    ],
)
def test_smtp_errors_are_classified(settings, mocker, error, permanent):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    mocker.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error)

    with pytest.raises(DeliveryError) as caught:
        send_test_email()

    assert caught.value.permanent is permanent


@pytest.mark.django_db
def test_send_dispatches_email_notifications():
    notification = NotificationFactory(
        subject="New lead", body="Dana called", html_body="<p>Dana called</p>"
    )

    channels.send(notification)

    (sent,) = mail.outbox
    assert sent.subject == "New lead"
    assert sent.from_email.startswith(notification.business.name)


@pytest.mark.django_db
def test_every_try_of_a_notification_carries_the_same_message_id(settings):
    """A copy sent again after a worker died is the same message to the receiver."""
    settings.DEFAULT_FROM_EMAIL = "Roxy <roxy@voicehive.example>"
    notification = NotificationFactory()

    channels.send(notification)
    channels.send(notification)

    first, second = (m.extra_headers["Message-ID"] for m in mail.outbox)
    assert first == second
    assert first.startswith(f"<notification-{notification.id}.")
    assert first.endswith("@voicehive.example>")
    assert mail.outbox[0].metadata == {"notification_id": str(notification.id)}


@pytest.mark.django_db
def test_the_smtp_backend_uses_the_configured_server(settings, mocker):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.example.com"
    settings.EMAIL_PORT = 587
    settings.EMAIL_HOST_USER = "roxy"
    settings.EMAIL_HOST_PASSWORD = "secret"
    settings.EMAIL_USE_TLS = True
    settings.EMAIL_TIMEOUT = 20.0
    smtp = mocker.patch("smtplib.SMTP")

    channels.send(NotificationFactory())

    (opened,) = smtp.call_args_list
    assert opened.args == ("smtp.example.com", 587)
    assert opened.kwargs["timeout"] == 20.0
    connection = smtp.return_value
    connection.starttls.assert_called_once()
    connection.login.assert_called_once_with("roxy", "secret")
    (sent,) = connection.sendmail.call_args_list
    assert b"Message-ID: <notification-" in sent.args[2]


@pytest.mark.django_db
def test_send_dispatches_sms_notifications(sms_outbox):
    notification = SmsNotificationFactory(body="You're booked!")

    message_id = channels.send(notification)

    assert message_id == "locmem-1"
    assert sms_outbox == [channels.SmsMessage(to="+15125550187", body="You're booked!")]


# --- SMS ---


def test_console_backend_prints_the_text(settings, capsys):
    settings.SMS_BACKEND = "apps.notifications.channels.ConsoleSmsBackend"

    message_id = channels.send_sms(to="+15125550187", body="Hello from Roxy")

    out = capsys.readouterr().out
    assert "+15125550187" in out and "Hello from Roxy" in out
    assert message_id.startswith("console-")


def test_twilio_posts_the_message_with_basic_auth(twilio, respx_mock):
    route = respx_mock.post(TWILIO_URL).mock(
        return_value=httpx.Response(201, json={"sid": "SM42", "status": "queued"})
    )

    message_id = channels.send_sms(to="+15125550187", body="You're booked!")

    assert message_id == "SM42"
    request = route.calls.last.request
    expected = base64.b64encode(b"AC123:secret-token").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert parse_qs(request.content.decode()) == {
        "To": ["+15125550187"],
        "From": ["+15125550100"],
        "Body": ["You're booked!"],
    }


def test_twilio_invalid_number_is_permanent(twilio, respx_mock):
    respx_mock.post(TWILIO_URL).mock(
        return_value=httpx.Response(
            400,
            json={
                "code": 21211,
                "message": "The 'To' number +1555 is not a valid phone number.",
                "status": 400,
            },
        )
    )

    with pytest.raises(DeliveryError) as caught:
        channels.send_sms(to="+1555", body="Hi")

    assert caught.value.permanent
    assert "21211" in str(caught.value)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_twilio_rate_limits_and_outages_are_transient(twilio, respx_mock, status):
    respx_mock.post(TWILIO_URL).mock(return_value=httpx.Response(status, text="busy"))

    with pytest.raises(DeliveryError) as caught:
        channels.send_sms(to="+15125550187", body="Hi")

    assert not caught.value.permanent


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")]
)
def test_twilio_timeouts_and_connection_errors_are_transient(twilio, respx_mock, error):
    respx_mock.post(TWILIO_URL).mock(side_effect=error)

    with pytest.raises(DeliveryError) as caught:
        channels.send_sms(to="+15125550187", body="Hi")

    assert not caught.value.permanent


def test_twilio_timeout_stays_below_the_celery_soft_limit(settings):
    assert settings.TWILIO_TIMEOUT_SECONDS < settings.CELERY_TASK_SOFT_TIME_LIMIT


def test_twilio_without_credentials_fails_permanently(twilio, settings, respx_mock):
    settings.TWILIO_AUTH_TOKEN = ""

    with pytest.raises(DeliveryError) as caught:
        channels.send_sms(to="+15125550187", body="Hi")

    assert caught.value.permanent
    assert not respx_mock.calls
