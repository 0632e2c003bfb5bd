"""The fake providers of bench/outage_run.py answer like the real ones.

If the analysis schema or the SMTP backend changes so the fakes no longer fit, the
end-to-end run would measure a broken fake instead of the retry code: catch it here.
"""

import smtplib
import socket

import httpx
import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from apps.calls.analysis import ANALYSIS_SCHEMA, validate_analysis
from bench import outage_providers
from bench.outage_providers import EMAILS, HOLD, TEXTS, Providers, from_schema


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Ports of their own, so a bench run on the fixed ones does not collide.
PORTS = {name: free_port() for name in ("model", "smtp", "twilio")}


def test_the_model_answers_the_analysis_schema_with_a_valid_analysis():
    fields = validate_analysis(from_schema(ANALYSIS_SCHEMA))

    assert fields["language"] == "en"
    assert fields["summary"]


@pytest.fixture(scope="module")
def providers():
    running = Providers(PORTS)
    running.start("model", "smtp")
    yield running
    running.stop("model", "smtp", "twilio")


def test_the_smtp_server_records_message_ids_and_refuses_when_stopped(providers):
    backend = EmailBackend(host="127.0.0.1", port=PORTS["smtp"], timeout=5)
    message = EmailMessage("Hi", "Body", "roxy@example.com", ["dana@example.com"])
    message.extra_headers["Message-ID"] = "<notification-1.abc@example.com>"
    before = len(EMAILS)

    assert backend.send_messages([message]) == 1
    assert EMAILS[before:] == ["<notification-1.abc@example.com>"]

    providers.stop("smtp")
    try:
        with pytest.raises(OSError):
            smtplib.SMTP("127.0.0.1", PORTS["smtp"], timeout=2)
    finally:
        providers.start("smtp")


def test_a_held_message_counts_as_received_and_is_never_answered(providers):
    backend = EmailBackend(host="127.0.0.1", port=PORTS["smtp"], timeout=1)
    message = EmailMessage("Hi", "Body", "roxy@example.com", ["dana@example.com"])
    message.extra_headers["Message-ID"] = "<notification-2.abc@example.com>"
    HOLD["held"].clear()
    HOLD["armed"] = True

    with pytest.raises(OSError):  # the client times out waiting for the answer
        backend.send_messages([message])
    assert HOLD["held"].is_set()
    assert EMAILS[-1] == "<notification-2.abc@example.com>"


def test_twilio_and_the_model_answer_over_http(providers):
    before = len(TEXTS)
    sms = httpx.post(
        f"http://127.0.0.1:{PORTS['twilio']}/2010-04-01/Accounts/AC1/Messages.json",
        data={"To": "+15125550199", "From": "+15125550000", "Body": "Booked"},
    )
    completion = httpx.post(
        f"http://127.0.0.1:{PORTS['model']}/v1/chat/completions",
        json={
            "model": "gpt-4o-mini",
            "response_format": {"json_schema": {"schema": ANALYSIS_SCHEMA}},
        },
    )

    assert sms.status_code == 201 and sms.json()["sid"].startswith("SM")
    assert TEXTS[before:] == [("+15125550199", "Booked")]
    assert completion.json()["choices"][0]["finish_reason"] == "stop"
    assert outage_providers.STATS["model_requests"] >= 1
