import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest
import respx
from django.test import RequestFactory
from rest_framework.exceptions import AuthenticationFailed

from apps.vapi import protocol, simulation
from apps.vapi.api.authentication import authenticate_vapi_request
from apps.vapi.simulation import payloads
from tests.vapi.webhook import BEARER_SECRET, HMAC_SECRET

PHONE_NUMBER_ID = "3f8e2d1c-7b6a-4c5d-8e9f-0a1b2c3d4e5f"
CALLER = "+15125550187"
START_MS = 1741965298600
OFFERS = (
    "Openings for haircut (45 minutes, $65) (12 open times in all): "
    "1:30 PM on Tuesday, March 18 with Maria (slot id: 1-2-21ZkS.Ca-wxZZE6xJ8l5SK); "
    "9:00 AM on Wednesday, March 19 with Jess (slot id: 1-3-21ZkT.Zz9wxZZE6xJ8l5SK)."
)


@pytest.fixture
def state() -> payloads.CallState:
    return payloads.CallState(
        call_id=payloads.new_call_id(),
        caller_number=CALLER,
        phone_number_id=PHONE_NUMBER_ID,
        phone_number="+15125550142",
        phone_label="Main line",
        created_ms=START_MS,
    )


@pytest.fixture
def conversation() -> payloads.Conversation:
    talk = payloads.Conversation(started_ms=START_MS + 2500)
    talk.say(
        "bot", "Thanks for calling, this is Roxy.", at_ms=START_MS + 3000, seconds=2
    )
    talk.say("user", "Hi, a haircut please.", at_ms=START_MS + 6000, seconds=1.5)
    return talk


def test_assistant_request_parses_as_vapi_sends_it(state):
    message = protocol.parse(payloads.assistant_request(state, at_ms=START_MS + 100))

    assert message.type == protocol.ASSISTANT_REQUEST
    assert message.call_id == state.call_id
    assert message.phone_number_id == PHONE_NUMBER_ID
    assert message.caller_number == CALLER
    assert message.timestamp_ms == START_MS + 100
    assert message.call_type == "inboundPhoneCall"


def test_tool_calls_carry_object_arguments_and_the_tool_definition(state, conversation):
    state.assistant = {
        "model": {"tools": [{"type": "function", "function": {"name": "book_it"}}]}
    }
    call = payloads.tool_call("book_it", {"slot_id": "abc"})
    body = payloads.tool_calls(state, [call], conversation, at_ms=START_MS + 9000)

    message = protocol.parse(body)
    assert [(tc.id, tc.name, tc.arguments) for tc in message.tool_calls] == [
        (call["id"], "book_it", {"slot_id": "abc"})
    ]
    listed = body["message"]["toolWithToolCallList"][0]
    assert listed["function"] == {"name": "book_it"}
    assert listed["toolCall"] == call
    assert body["message"]["assistant"] is state.assistant


def test_tool_call_ids_are_fresh_and_shaped_like_the_models():
    ids = {payloads.new_tool_call_id() for _ in range(50)}

    assert len(ids) == 50
    assert all(i.startswith("call_") and len(i) == 29 and i.isascii() for i in ids)


def test_end_of_call_report_holds_transcript_recording_cost_and_reason(
    state, conversation
):
    state.started_ms, state.ended_ms = START_MS + 2500, START_MS + 92500
    state.status, state.ended_reason = "ended", "customer-ended-call"
    analysis = {"summary": "Booked.", "structuredData": {}, "successEvaluation": "true"}

    body = payloads.end_of_call_report(
        state, conversation, at_ms=START_MS + 98000, analysis=analysis
    )

    message = protocol.parse(body)
    assert message.ended_reason == "customer-ended-call"
    assert message.report.transcript == (
        "AI: Thanks for calling, this is Roxy.\nUser: Hi, a haircut please.\n"
    )
    assert message.report.recording_url.startswith("https://storage.vapi.ai/")
    assert message.report.cost == Decimal("0.1853")  # 1.5 min at 12.35 cents a minute
    assert message.report.summary == "Booked."
    assert message.ended_at - message.started_at == dt.timedelta(seconds=90)
    assert [m["role"] for m in message.report.messages] == ["bot", "user"]


def test_conversation_keeps_both_formats_with_encoded_tool_arguments(conversation):
    call = payloads.tool_call("check_availability", {"service": "haircut"})
    conversation.call_tools([call], at_ms=START_MS + 8000)
    conversation.tool_result(call["id"], "check_availability", "Openings", at_ms=1)

    assert conversation.openai[-2]["tool_calls"][0]["function"]["arguments"] == (
        '{"service": "haircut"}'
    )
    assert conversation.openai[-1] == {
        "role": "tool",
        "tool_call_id": call["id"],
        "content": "Openings",
    }
    assert conversation.messages[-2]["secondsFromStart"] == 5.5
    assert "Openings" not in conversation.transcript


def test_first_offer_reads_the_first_slot_check_availability_gave():
    assert payloads.first_offer(OFFERS) == {
        "when": "1:30 PM on Tuesday, March 18",
        "who": "Maria",
        "slot_id": "1-2-21ZkS.Ca-wxZZE6xJ8l5SK",
    }
    assert payloads.first_offer("No openings for haircut on Monday.") is None


def test_iso_writes_times_as_vapi_does():
    assert payloads.iso(1741965300977) == "2025-03-14T15:15:00.977Z"


# --- credentials ---


def test_bearer_credential_uses_the_configured_header_and_prefix(webhook_settings):
    webhook_settings.VAPI_AUTH_HEADER = "X-Vapi-Secret"
    webhook_settings.VAPI_AUTH_PREFIX = ""

    credential = simulation.WebhookCredential.from_settings()

    assert credential.headers(b"{}") == {"X-Vapi-Secret": BEARER_SECRET}


def test_hmac_credential_passes_the_webhooks_own_check(webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""
    webhook_settings.VAPI_HMAC_SECRET = HMAC_SECRET
    body = b'{"message":{"type":"hang"}}'
    credential = simulation.WebhookCredential.from_settings()

    request = RequestFactory().post(
        "/",
        data=body,
        content_type="application/json",
        headers=credential.headers(body),
    )

    assert credential.mode == "hmac"
    assert authenticate_vapi_request(request) == "hmac"


def test_hmac_signature_covers_the_exact_body(webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""
    webhook_settings.VAPI_HMAC_SECRET = HMAC_SECRET
    headers = simulation.WebhookCredential.from_settings().headers(b'{"a":1}')

    request = RequestFactory().post(
        "/", data=b'{"a":2}', content_type="application/json", headers=headers
    )

    with pytest.raises(AuthenticationFailed):
        authenticate_vapi_request(request)


def test_no_configured_secret_is_a_simulation_error(webhook_settings):
    webhook_settings.VAPI_WEBHOOK_SECRET = ""
    webhook_settings.VAPI_HMAC_SECRET = ""

    with pytest.raises(simulation.SimulationError, match="set VAPI_WEBHOOK_SECRET"):
        simulation.WebhookCredential.from_settings()


# --- the HTTP transport ---


@respx.mock
def test_http_transport_posts_the_body_with_the_credential():
    route = respx.post("https://hooks.example.com/vapi/").respond(
        200, json={"results": []}
    )
    transport = simulation.HttpTransport(
        "https://hooks.example.com/vapi/",
        simulation.WebhookCredential("bearer", "tok"),
    )

    reply = transport.post(b'{"message":{}}')

    assert reply == simulation.Reply(200, {"results": []})
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer tok"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.content == b'{"message":{}}'


@respx.mock
def test_http_transport_reports_a_connection_failure_as_no_answer():
    respx.post("https://hooks.example.com/vapi/").mock(
        side_effect=httpx.ConnectError("refused")
    )
    transport = simulation.HttpTransport(
        "https://hooks.example.com/vapi/",
        simulation.WebhookCredential("bearer", "tok"),
    )

    reply = transport.post(b"{}")

    assert reply.status == 0
    assert not reply.is_success
    assert "ConnectError" in reply.error


# --- the driver, against a scripted stand-in for the webhook ---


class ScriptedWebhook:
    """Answers like Roxy would, and keeps every body it was sent."""

    def __init__(self, *, book_answer: str = "Booked: haircut. Appointment id 7."):
        self.bodies: list[dict] = []
        self.book_answer = book_answer

    def post(self, body: bytes) -> simulation.Reply:
        message = json.loads(body)["message"]
        self.bodies.append(message)
        if message["type"] == "assistant-request":
            return simulation.Reply(
                200, {"assistant": {"firstMessage": "Hi, Roxy here."}}
            )
        if message["type"] == "tool-calls":
            call = message["toolCallList"][0]
            answers = {
                "check_availability": OFFERS,
                "book_appointment": self.book_answer,
            }
            result = answers.get(call["function"]["name"], "Done.")
            return simulation.Reply(
                200, {"results": [{"toolCallId": call["id"], "result": result}]}
            )
        return simulation.Reply(200, {})


def simulate(webhook, scenario="booking") -> simulation.SimulationResult:
    simulator = simulation.CallSimulator(
        webhook,
        phone_number_id=PHONE_NUMBER_ID,
        phone_number="+15125550142",
        caller=simulation.Caller(CALLER, "Dana Whitfield"),
        service="haircut",
    )
    return simulator.run(scenario)


def test_booking_books_the_slot_id_that_check_availability_offered():
    webhook = ScriptedWebhook()

    result = simulate(webhook)

    assert result.ok
    booking = [
        m["toolCallList"][0]["function"]
        for m in webhook.bodies
        if m["type"] == "tool-calls"
    ]
    assert [b["name"] for b in booking] == ["check_availability", "book_appointment"]
    assert booking[1]["arguments"] == {
        "slot_id": "1-2-21ZkS.Ca-wxZZE6xJ8l5SK",
        "name": "Dana Whitfield",
        "phone": CALLER,
    }


def test_every_message_of_a_call_shares_its_id_with_increasing_timestamps():
    webhook = ScriptedWebhook()

    simulate(webhook)

    assert len({m["call"]["id"] for m in webhook.bodies}) == 1
    stamps = [m["timestamp"] for m in webhook.bodies]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert [m["type"] for m in webhook.bodies] == [
        "assistant-request",
        "status-update",
        "conversation-update",
        "tool-calls",
        "tool-calls",
        "status-update",
        "end-of-call-report",
    ]


def test_the_report_has_the_whole_conversation_including_tool_results():
    webhook = ScriptedWebhook()

    simulate(webhook)

    report = webhook.bodies[-1]
    assert report["endedReason"] == "customer-ended-call"
    assert report["analysis"]["structuredData"]["appointment_booked"] is True
    roles = [m["role"] for m in report["artifact"]["messages"]]
    assert roles.count("tool_call_result") == 2
    assert report["artifact"]["transcript"].startswith("AI: Hi, Roxy here.\nUser: ")


def test_an_unexpected_tool_answer_fails_that_step_and_still_ends_the_call():
    webhook = ScriptedWebhook(book_answer="Sorry, 1:30 PM was just taken.")

    result = simulate(webhook)

    assert not result.ok
    assert [s.label for s in result.failures] == ["tool-calls book_appointment"]
    assert webhook.bodies[-1]["type"] == "end-of-call-report"
    assert (
        webhook.bodies[-1]["analysis"]["structuredData"]["appointment_booked"] is False
    )


def test_hangup_ends_within_seconds_without_tool_calls():
    webhook = ScriptedWebhook()

    result = simulate(webhook, "hangup")

    assert result.ok
    types = [m["type"] for m in webhook.bodies]
    assert "tool-calls" not in types
    report = webhook.bodies[-1]
    started = protocol.parse_datetime(report["startedAt"])
    ended = protocol.parse_datetime(report["endedAt"])
    assert dt.timedelta(seconds=1) < ended - started < dt.timedelta(seconds=15)


def test_a_refused_assistant_request_ends_the_call_and_fails_the_step():
    class Refusing(ScriptedWebhook):
        def post(self, body):
            if json.loads(body)["message"]["type"] == "assistant-request":
                self.bodies.append(json.loads(body)["message"])
                return simulation.Reply(200, {"error": "Not taking calls."})
            return super().post(body)

    webhook = Refusing()

    result = simulate(webhook, "lead")

    assert [s.label for s in result.failures] == ["assistant-request"]
    assert [m["type"] for m in webhook.bodies] == [
        "assistant-request",
        "status-update",
        "end-of-call-report",
    ]


def test_an_answer_that_is_not_a_json_object_fails_the_step():
    class Odd(ScriptedWebhook):
        def post(self, body):
            super().post(body)
            return simulation.Reply(200, ["not", "an", "object"])

    result = simulate(Odd(), "transfer")

    assert "assistant-request" in [s.label for s in result.failures]
    assert all(not s.ok for s in result.steps)


def test_a_non_2xx_answer_fails_the_step():
    class Broken(ScriptedWebhook):
        def post(self, body):
            reply = super().post(body)
            if self.bodies[-1]["type"] == "status-update":
                return simulation.Reply(500, None)
            return reply

    result = simulate(Broken(), "hangup")

    assert {s.label for s in result.failures} == {
        "status-update in-progress",
        "status-update ended",
    }
    assert all(s.status == 500 for s in result.failures)


def test_unknown_scenario_is_refused():
    with pytest.raises(simulation.SimulationError, match="Unknown scenario"):
        simulate(ScriptedWebhook(), "voicemail")
