"""The holes an attack run found in the webhook (issue #15), each closed, through HTTP."""

import copy
import datetime as dt
import json

import pytest

from apps.appointments.models import Appointment
from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.leads.models import CallbackRequest
from apps.roxy import tools
from apps.vapi import intake, storable_json
from tests.roxy.salon import NOW, build_salon, tool_calls_payload
from tests.vapi.payloads import CALL_ID, NAMES, load_payload, payload_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]

OTHER_CALL_ID = "0195a000-1111-7222-8333-944445555666"
OTHER_LINE_ID = "9e9e9e9e-1111-4222-8333-444455556666"


@pytest.fixture
def salon(time_machine):
    time_machine.move_to(NOW, tick=False)
    return build_salon()


def with_huge_number(name: str) -> bytes:
    """The example with a number no float holds, in the message and in the call."""
    body = payload_bytes(name).decode()
    body = body.replace('"message": {', '"message": {"huge": 1e400, ', 1)
    return body.replace('"call": {', '"call": {"tiny": -1e400, ', 1).encode()


def stored_payload(name: str) -> dict:
    event = WebhookEvent.objects.filter(type=load_payload(name)["message"]["type"])
    return event.latest("pk").payload


@pytest.mark.parametrize("name", NAMES)
def test_a_number_too_large_for_a_float_is_stored_as_null_and_answered(
    post, salon, name
):
    response = post(with_huge_number(name))

    assert response.status_code == 200
    message = stored_payload(name)["message"]
    assert message["huge"] is None
    if name.startswith("01-"):
        assert "assistant" in response.json()  # never a failed assistant-request
    if name.startswith(("04", "05", "06")):
        assert all("error" not in r for r in response.json()["results"])


@pytest.mark.postgres
def test_a_number_too_large_for_a_float_is_stored_by_postgres(post, salon):
    assert post(with_huge_number("01-assistant-request")).status_code == 200
    assert post(with_huge_number("11-end-of-call-report")).status_code == 200

    assert WebhookEvent.objects.filter(status="processed").count() == 2


def test_a_huge_number_inside_the_arguments_string_is_stored_as_null(post, salon):
    payload = tool_calls_payload(("take_message", {}))
    payload["message"]["toolCallList"][0]["function"]["arguments"] = (
        '{"message": "Call me back", "priority": 1e400, "n": NaN}'
    )

    answer = post(payload).json()

    # NaN is not JSON: the arguments are refused, and the caller hears why.
    assert "not valid JSON" in answer["results"][0]["error"]
    payload["message"]["toolCallList"][0]["function"]["arguments"] = (
        '{"message": "Call me back", "priority": 1e400}'
    )
    payload["message"]["timestamp"] += 1
    payload["message"]["toolCallList"][0]["id"] = "call_huge"

    answer = post(payload).json()

    assert answer["results"][0]["result"].startswith("Message taken")
    stored = ToolInvocation.objects.get(tool_call_id="call_huge").arguments
    assert stored == {"message": "Call me back", "priority": None}


def test_nul_and_lone_surrogates_inside_the_arguments_string_are_cleaned(post, salon):
    payload = tool_calls_payload(("take_message", {}))
    payload["message"]["toolCallList"][0]["function"]["arguments"] = (
        '{"message": "Call me\\u0000 back \\ud800 please"}'
    )

    answer = post(payload).json()

    assert answer["results"][0]["result"].startswith("Message taken")
    said = CallbackRequest.objects.get().message
    assert "\x00" not in said
    assert said.encode("utf-8")  # no lone surrogate left to fail the column
    arguments = ToolInvocation.objects.get().arguments
    assert arguments["message"] == said


def test_a_tool_call_id_reused_in_another_business_call_never_gets_its_answer(
    post, salon
):
    other = build_salon(with_line=False, slug="rival", name="Rival Barbers")
    other.business.phone_numbers.create(
        vapi_phone_number_id=OTHER_LINE_ID, number="+15125550999"
    )
    mine = tool_calls_payload(
        ("take_message", {"message": "Call me back"}), ids=["call_reused"]
    )
    theirs = copy.deepcopy(mine)
    theirs["message"]["call"]["id"] = OTHER_CALL_ID
    theirs["message"]["call"]["phoneNumberId"] = OTHER_LINE_ID
    theirs["message"]["phoneNumber"]["id"] = OTHER_LINE_ID
    theirs["message"]["phoneNumber"]["number"] = "+15125550999"

    first = post(mine).json()["results"][0]["result"]
    second = post(theirs).json()["results"][0]["result"]

    assert "Maison Belle" in first
    assert "Rival Barbers" in second and "Maison Belle" not in second
    assert CallbackRequest.objects.filter(business=other.business).count() == 1


def test_legacy_function_calls_without_a_timestamp_each_get_their_own_answer(
    post, salon
):
    first = load_payload("13-function-call-legacy")
    del first["message"]["timestamp"]
    first["message"]["functionCall"] = {
        "name": "take_message",
        "parameters": {"message": "First message"},
    }
    second = copy.deepcopy(first)
    second["message"]["functionCall"]["parameters"]["message"] = "Second message"

    answers = [post(first).json(), post(second).json(), post(first).json()]

    assert answers[0]["result"].startswith("Message taken")
    assert answers[1]["result"].startswith("Message taken")
    assert answers[2] == answers[0]  # the same message again is a redelivery
    messages = CallbackRequest.objects.values_list("message", flat=True)
    assert sorted(messages) == ["First message", "Second message"]


def test_an_ended_status_in_the_same_millisecond_as_in_progress_is_applied(post, salon):
    started = load_payload("02-status-update-in-progress")
    ended = load_payload("10-status-update-ended")
    ended["message"]["timestamp"] = started["message"]["timestamp"]

    post(started)
    post(ended)

    assert Call.objects.get(vapi_call_id=CALL_ID).status == Call.Status.ENDED
    assert WebhookEvent.objects.filter(type="status-update").count() == 2


def test_a_late_status_update_never_rewrites_the_reported_times(post, salon):
    post(payload_bytes("11-end-of-call-report"))
    reported = Call.objects.values("started_at", "ended_at", "duration_seconds").get(
        vapi_call_id=CALL_ID
    )
    late = load_payload("02-status-update-in-progress")
    late["message"]["timestamp"] += 10**6
    late["message"]["call"]["startedAt"] = "2025-03-14T14:00:00.000Z"
    late["message"]["startedAt"] = "2025-03-14T14:00:00.000Z"

    post(late)

    call = Call.objects.get(vapi_call_id=CALL_ID)
    assert {
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "duration_seconds": call.duration_seconds,
    } == reported
    assert call.status == Call.Status.ENDED
    assert reported["started_at"] != dt.datetime(2025, 3, 14, 14, tzinfo=dt.UTC)


def test_a_copy_still_waiting_for_the_first_never_says_the_booking_failed(
    settings, salon
):
    settings.VAPI_DUPLICATE_WAIT_SECONDS = 0.01
    raw = load_payload("05-tool-calls-book-appointment")
    message = intake.protocol.parse(raw)
    intake.record_webhook_event(message)  # the first copy, still at work

    answer = intake.receive_vapi_message(message)

    (entry,) = answer["results"]
    assert entry["error"] == intake.TOOL_IN_HAND
    assert "problem" not in entry["error"] and "wrong" not in entry["error"]
    assert not Appointment.objects.exists()


def test_the_arguments_string_cleaning_matches_the_body_cleaning():
    text = json.dumps({"a": "x\u0000y", "b": "\ud800"})
    decoded = storable_json.loads(text, what="The tool arguments")

    assert decoded == {"a": "xy", "b": "?"}


def test_a_repeated_tool_call_id_in_one_message_is_answered_apart(post, salon):
    payload = tool_calls_payload(
        ("take_message", {"message": "Call me back"}),
        ("cancel_appointment", {}),
        ids=["call_twice", "call_twice"],
    )

    first, second = post(payload).json()["results"]

    assert first["result"].startswith("Message taken")
    assert second["error"] == tools.REPEATED_ID


# --- what a call stores ---


def test_our_own_assistant_repeated_in_later_messages_is_stored_once(post, salon):
    assistant = post(payload_bytes("01-assistant-request")).json()["assistant"]
    status = load_payload("02-status-update-in-progress")
    status["message"]["assistant"] = assistant

    post(status)

    stored = stored_payload("02-status-update-in-progress")["message"]["assistant"]
    assert stored == {
        "name": assistant["name"],
        "metadata": assistant["metadata"],
        "omitted": intake.OMITTED_ASSISTANT,
    }
    first = WebhookEvent.objects.get(type="assistant-request")
    assert first.response["assistant"] == assistant


def test_an_assistant_set_at_vapi_is_stored_as_received(post, salon):
    status = load_payload("02-status-update-in-progress")
    status["message"]["assistant"] = {"name": "Set at VAPI", "metadata": {}}

    post(status)

    stored = stored_payload("02-status-update-in-progress")["message"]["assistant"]
    assert stored == {"name": "Set at VAPI", "metadata": {}}


def test_roxy_no_longer_subscribes_to_conversation_updates(post, salon):
    assistant = post(payload_bytes("01-assistant-request")).json()["assistant"]

    assert "conversation-update" not in assistant["serverMessages"]
