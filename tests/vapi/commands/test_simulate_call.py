import datetime as dt
import io
import zoneinfo

import httpx
import pytest
import respx
from django.core.management import CommandError, call_command
from django.test import Client

from apps.appointments.models import Appointment
from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.demo import services as demo_services
from apps.leads.models import CallbackRequest, Lead
from tests.vapi.webhook import BEARER_SECRET, HMAC_SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# A Tuesday morning: the demo studio is open (Tuesday to Saturday, 9 to 6).
OPEN_HOURS = dt.datetime(2026, 3, 17, 11, 0, tzinfo=CHICAGO)
CALLER = "+15125550177"
WEBHOOK_URL = "https://voicehive.example.com/api/v1/vapi/webhook/"


@pytest.fixture
def demo(time_machine):
    """The demo studio, on a Tuesday morning while it is open."""
    time_machine.move_to(OPEN_HOURS, tick=False)
    return demo_services.seed_demo_business(password="demo-pass").business


def simulate(*args: str) -> str:
    out = io.StringIO()
    call_command(
        "simulate_call", "--caller", CALLER, "--caller-name", "Ava Brooks", *args,
        stdout=out,
    )  # fmt: skip
    return out.getvalue()


def the_call() -> Call:
    return Call.objects.exclude(vapi_call_id__startswith="demo-call-").get()


def test_booking_books_an_offered_slot_linked_to_the_call_and_lead(demo):
    output = simulate("--scenario", "booking")

    call = the_call()
    appointment = Appointment.objects.get(source_call=call)
    assert appointment.business == demo
    assert appointment.lead == call.lead
    assert appointment.service.name == "Blowout"  # the shortest, then by name
    assert appointment.start_at > OPEN_HOURS
    assert call.lead.phone == CALLER
    assert call.lead.name == "Ava Brooks"
    assert call.lead.status == Lead.Status.BOOKED
    assert ToolInvocation.objects.filter(call=call).count() == 2
    assert f"Appointment {appointment.pk}: Blowout with" in output
    assert output.strip().endswith("all answered as expected.")


def test_booking_records_the_ended_call_with_its_transcript_and_events(demo):
    simulate("--scenario", "booking")

    call = the_call()
    assert call.status == Call.Status.ENDED
    assert call.ended_reason == "customer-ended-call"
    assert call.transcript.startswith("AI: Thanks for calling Maison Belle")
    assert "User: Yes, that works. My name is Ava Brooks." in call.transcript
    assert call.recording_url.startswith("https://storage.vapi.ai/")
    assert call.cost > 0
    assert call.duration_seconds > 20
    assert call.analysis_status == Call.AnalysisStatus.PENDING
    events = WebhookEvent.objects.filter(vapi_call_id=call.vapi_call_id)
    assert events.count() == 7
    assert not events.filter(status=WebhookEvent.Status.FAILED).exists()
    assert sorted(events.values_list("type", flat=True)) == [
        "assistant-request",
        "conversation-update",
        "end-of-call-report",
        "status-update",
        "status-update",
        "tool-calls",
        "tool-calls",
    ]


def test_booking_a_named_service(demo):
    simulate("--scenario", "booking", "--service", "haircut_and_color")

    appointment = Appointment.objects.get(source_call=the_call())
    assert appointment.service.name == "Haircut and color"


def test_lead_captures_the_enquiry_without_booking(demo):
    output = simulate("--scenario", "lead")

    call = the_call()
    lead = Lead.objects.get(business=demo, phone=CALLER)
    assert call.lead == lead
    assert lead.name == "Ava Brooks"
    assert lead.email == "ava.brooks@example.com"
    assert lead.interest == "bridal party"
    assert not Appointment.objects.filter(source_call=call).exists()
    assert list(call.tool_invocations.values_list("name", flat=True)) == [
        "capture_lead"
    ]
    assert f"Lead {lead.pk}: Ava Brooks, {CALLER}, new" in output


def test_transfer_in_opening_hours_forwards_the_call(demo):
    output = simulate("--scenario", "transfer")

    call = the_call()
    assert call.ended_reason == "assistant-forwarded-call"
    assert call.status == Call.Status.ENDED
    assert not call.tool_invocations.exists()
    assert "transfer-destination-request → 200 → transfer to +15125550100" in output
    assert "status-update forwarding → 200 → ok" in output


def test_transfer_after_hours_takes_a_message_instead(time_machine, demo):
    time_machine.move_to(OPEN_HOURS.replace(hour=21), tick=False)

    output = simulate("--scenario", "transfer")

    call = the_call()
    assert "refused: Transfers only happen during opening hours" in output
    callback = CallbackRequest.objects.get(call=call)
    assert callback.callback_number == CALLER
    assert call.ended_reason == "customer-ended-call"


def test_hangup_ends_after_seconds_with_no_tool_calls(demo):
    simulate("--scenario", "hangup")

    call = the_call()
    assert call.status == Call.Status.ENDED
    assert call.ended_reason == "customer-ended-call"
    assert call.duration_seconds < 15
    assert not call.tool_invocations.exists()
    assert WebhookEvent.objects.filter(vapi_call_id=call.vapi_call_id).count() == 4


def test_the_business_option_picks_its_number(demo):
    simulate("--business", "maison-belle", "--scenario", "hangup")

    assert the_call().business == demo


def test_hmac_only_credential_is_used_when_no_bearer_secret(webhook_settings, demo):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""
    webhook_settings.VAPI_HMAC_SECRET = HMAC_SECRET

    simulate("--scenario", "hangup")

    assert the_call().status == Call.Status.ENDED


def test_a_step_with_an_unexpected_answer_fails_the_command(demo):
    with pytest.raises(CommandError, match="1 failed: tool-calls check_availability"):
        simulate("--scenario", "booking", "--service", "tattoo")

    assert the_call().status == Call.Status.ENDED  # the call was still ended


def test_without_a_webhook_secret_the_command_says_what_to_set(webhook_settings, demo):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""
    webhook_settings.VAPI_HMAC_SECRET = ""

    with pytest.raises(CommandError, match="set VAPI_WEBHOOK_SECRET"):
        simulate()


def test_without_a_business_the_command_says_to_seed():
    with pytest.raises(CommandError, match="seed_demo"):
        simulate()


def test_an_unknown_business_slug_is_refused(demo):
    with pytest.raises(CommandError, match="No business with slug 'nope'"):
        simulate("--business", "nope")


@respx.mock
def test_url_sends_over_http_with_the_credential_header(demo):
    client = Client()
    seen_auth = []

    def webhook(request: httpx.Request) -> httpx.Response:
        # Stand in for the remote server: the same webhook, served by Django.
        seen_auth.append(request.headers.get("Authorization"))
        response = client.post(
            "/api/v1/vapi/webhook/",
            data=request.content,
            content_type="application/json",
            secure=True,
            headers={"Authorization": request.headers["Authorization"]},
        )
        return httpx.Response(response.status_code, content=response.content)

    respx.post(WEBHOOK_URL).mock(side_effect=webhook)

    output = simulate("--scenario", "booking", "--url", WEBHOOK_URL)

    assert seen_auth == [f"Bearer {BEARER_SECRET}"] * 7
    assert f"at {WEBHOOK_URL}" in output
    assert Appointment.objects.filter(source_call=the_call()).exists()


@respx.mock
def test_url_failures_fail_the_command(demo):
    respx.post(WEBHOOK_URL).respond(401, json={"detail": "Wrong token."})

    with pytest.raises(CommandError, match="3 failed: assistant-request"):
        simulate("--scenario", "hangup", "--url", WEBHOOK_URL)
