import datetime as dt
import json

import jsonschema
import pytest
from django.urls import reverse

from apps.calls import tasks
from apps.calls.models import Call
from apps.notifications.models import Notification
from apps.roxy import assistant
from apps.vapi import protocol
from tests.appointments.factories import ProviderFactory, ServiceFactory
from tests.businesses.factories import (
    BusinessFactory,
    ClosureFactory,
    TransferDestinationFactory,
)
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory
from tests.roxy.salon import (
    CALLER,
    CHICAGO,
    NOW,
    build_salon,
)
from tests.vapi.payloads import CALL_ID, load_payload

pytestmark = pytest.mark.django_db

WEBHOOK = "https://voicehive.example.com/api/v1/vapi/webhook/"


@pytest.fixture(autouse=True)
def roxy_settings(settings):
    settings.VAPI_SERVER_URL = WEBHOOK
    settings.VAPI_CREDENTIAL_ID = "cred-123"
    settings.VAPI_FALLBACK_TRANSFER_NUMBER = ""


@pytest.fixture
def salon():
    return build_salon(
        policies="Cancel at least 24 hours ahead or pay half the price.",
        faq="Is there parking? Yes, free parking behind the salon.",
        extra_instructions="Always mention our spring color special.",
    )


def answer(business, payload_name="01-assistant-request", call=None) -> dict:
    message = protocol.parse(load_payload(payload_name))
    return assistant.answer_assistant_request(message, business=business, call=call)


def prompt_of(body: dict) -> str:
    messages = body["assistant"]["model"]["messages"]
    assert [m["role"] for m in messages] == ["system"]
    return messages[0]["content"]


def tool_names(body: dict) -> list[str]:
    return [
        tool["function"]["name"] if tool["type"] == "function" else tool["type"]
        for tool in body["assistant"]["model"]["tools"]
    ]


def test_assistant_request_returns_a_transient_assistant_with_a_system_message(salon):
    body = answer(salon.business)

    roxy = body["assistant"]
    assert "systemPrompt" not in roxy["model"]
    assert roxy["name"] == "Roxy - Maison Belle Hair Studio"
    assert roxy["firstMessage"] == (
        "Thanks for calling Maison Belle Hair Studio, this is Roxy. "
        "How can I help you today?"
    )
    json.dumps(body)  # the whole answer is plain JSON


def test_prompt_knows_the_local_date_time_hours_services_and_policies(salon):
    prompt = prompt_of(answer(salon.business))

    assert "Today is Friday, March 14, 2025, and it is 10:15 AM" in prompt
    assert "Tomorrow is Saturday, March 15" in prompt
    assert "Monday 9:00 AM to 5:00 PM" in prompt
    assert "Sunday closed" in prompt
    assert "Haircut and color: 2 hours 30 minutes, $160, with Jess or Maria." in prompt
    assert "Blowout: 45 minutes, $42.50" in prompt
    assert "Cancel at least 24 hours ahead" in prompt
    assert "free parking behind the salon" in prompt
    assert "Always mention our spring color special." in prompt
    assert f"({CALLER})" in prompt
    assert "Never invent availability" in prompt


def test_prompt_lists_closures_in_the_coming_weeks_only(salon):
    ClosureFactory(
        business=salon.business,
        starts_on=dt.date(2025, 3, 20),
        ends_on=dt.date(2025, 3, 21),
        reason="Team training",
    )
    ClosureFactory(
        business=salon.business,
        starts_on=dt.date(2025, 12, 25),
        ends_on=dt.date(2025, 12, 26),
        reason="Holidays",
    )

    prompt = prompt_of(answer(salon.business))

    assert (
        "Closed Thursday, March 20 through Friday, March 21 (Team training)" in prompt
    )
    assert "Holidays" not in prompt


def test_the_date_in_the_prompt_is_the_business_date_not_the_server_date(
    salon, time_machine
):
    # 11:30 PM Friday in Austin is already Saturday in UTC.
    time_machine.move_to(dt.datetime(2025, 3, 15, 4, 30, tzinfo=dt.UTC), tick=False)

    prompt = prompt_of(answer(salon.business))

    assert "Today is Friday, March 14, 2025, and it is 11:30 PM" in prompt


def test_a_returning_caller_is_greeted_by_first_name(salon):
    LeadFactory(business=salon.business, phone=CALLER, name="Dana Whitfield")

    body = answer(salon.business)

    assert body["assistant"]["firstMessage"].startswith("Hi Dana! Thanks for calling")
    assert "returning caller on file as Dana Whitfield" in prompt_of(body)


def test_a_lead_of_another_business_with_the_same_number_is_not_used(salon):
    LeadFactory(phone=CALLER, name="Someone Else")

    body = answer(salon.business)

    assert body["assistant"]["firstMessage"].startswith("Thanks for calling")
    assert "Someone Else" not in prompt_of(body)


def test_the_business_greeting_replaces_the_default(salon):
    salon.business.greeting = "Maison Belle, Roxy speaking!"
    salon.business.save()

    assert answer(salon.business)["assistant"]["firstMessage"] == (
        "Maison Belle, Roxy speaking!"
    )


def test_tools_point_at_our_webhook_with_the_credential(salon):
    tools = answer(salon.business)["assistant"]["model"]["tools"]

    functions = [tool for tool in tools if tool["type"] == "function"]
    assert functions
    for tool in functions:
        assert tool["server"]["url"] == WEBHOOK
        assert tool["server"]["credentialId"] == "cred-123"
        assert tool["server"]["timeoutSeconds"] > 0
        assert tool["function"]["parameters"]["type"] == "object"


def test_every_tool_is_offered_with_transfer_and_end_call(salon):
    body = answer(salon.business)

    assert tool_names(body) == [
        "check_availability",
        "book_appointment",
        "find_my_appointments",
        "reschedule_appointment",
        "cancel_appointment",
        "capture_lead",
        "get_business_info",
        "take_message",
        "send_text",
        "endCall",
        "transferCall",
    ]
    transfer = body["assistant"]["model"]["tools"][-1]
    assert "destinations" not in transfer  # VAPI then asks us where to transfer


def test_without_a_transfer_number_there_is_no_transfer_tool(salon):
    salon.business.transfer_number = ""
    salon.business.save()

    assert "transferCall" not in tool_names(answer(salon.business))


def test_the_service_argument_enumerates_active_services_only(salon):
    ServiceFactory(business=salon.business, name="Perm", is_active=False)

    tools = answer(salon.business)["assistant"]["model"]["tools"]

    check = tools[0]["function"]["parameters"]["properties"]["service"]
    assert check["enum"] == ["Blowout", "Haircut", "Haircut and color"]


def test_services_list_only_their_active_providers_by_name(salon):
    lonely = ServiceFactory(
        business=salon.business, name="Beard trim", duration_minutes=30, price=None
    )
    ProviderFactory(
        business=salon.business, name="Zed", services=[lonely], is_active=False
    )
    ProviderFactory(business=salon.business, name="Abe", services=[salon.haircut])

    prompt = prompt_of(answer(salon.business))

    assert "Beard trim: 30 minutes." in prompt  # nobody active does it
    assert "Haircut: 1 hour, $45, with Abe, Jess or Maria." in prompt
    assert prompt.index("Beard trim:") < prompt.index("Blowout:")


def test_server_messages_metadata_and_limits_are_explicit(salon):
    roxy = answer(salon.business)["assistant"]

    assert {
        "end-of-call-report",
        "status-update",
        "tool-calls",
        "transfer-destination-request",
        "hang",
    } <= set(roxy["serverMessages"])
    assert roxy["server"] == {
        "url": WEBHOOK,
        "timeoutSeconds": 20,
        "credentialId": "cred-123",
    }
    assert roxy["metadata"]["business_slug"] == "maison-belle-austin"
    assert roxy["metadata"]["business_id"] == salon.business.pk
    assert roxy["maxDurationSeconds"] == 900
    assert roxy["analysisPlan"]["summaryPlan"] == {"enabled": True}
    assert roxy["analysisPlan"]["structuredDataPlan"]["schema"]["required"] == [
        "intent"
    ]


def test_without_a_server_url_routing_is_left_to_vapi(salon, settings):
    settings.VAPI_SERVER_URL = ""

    roxy = answer(salon.business)["assistant"]

    assert "server" not in roxy
    assert all("server" not in tool for tool in roxy["model"]["tools"])


def test_voice_model_and_transcriber_come_from_settings(salon, settings):
    settings.ROXY_VOICE_PROVIDER = "cartesia"
    settings.ROXY_VOICE_ID = "voice-1"
    settings.ROXY_VOICE_MODEL = ""
    settings.ROXY_MODEL_PROVIDER = "anthropic"
    settings.ROXY_MODEL = "claude-sonnet-4"
    settings.ROXY_TRANSCRIBER_PROVIDER = "deepgram"
    settings.ROXY_TRANSCRIBER_MODEL = "nova-2"

    roxy = answer(salon.business)["assistant"]

    assert roxy["voice"] == {"provider": "cartesia", "voiceId": "voice-1"}
    assert roxy["model"]["provider"] == "anthropic"
    assert roxy["model"]["model"] == "claude-sonnet-4"
    assert roxy["transcriber"] == {
        "provider": "deepgram",
        "model": "nova-2",
        "language": "en",  # the business's one language (tests/roxy/test_languages.py)
    }


def test_unknown_number_is_refused_with_a_spoken_sentence():
    body = answer(None)

    assert list(body) == ["error"]
    assert body["error"].endswith("Please try again later.")


def test_an_inactive_business_is_refused(salon):
    salon.business.is_active = False
    salon.business.save()

    body = answer(salon.business)

    assert body == {
        "error": "Sorry, Maison Belle Hair Studio isn't taking calls on this line "
        "right now. Please try again later."
    }


def test_a_configured_fallback_number_takes_unknown_calls(settings):
    settings.VAPI_FALLBACK_TRANSFER_NUMBER = "+15125550199"

    assert answer(None) == {
        "destination": {"type": "number", "number": "+15125550199", "message": ""}
    }


def test_assistant_request_uses_a_small_fixed_number_of_queries(
    salon, django_assert_max_num_queries
):
    for n in range(25):
        service = ServiceFactory(business=salon.business, name=f"Extra {n}")
        ProviderFactory(business=salon.business, services=[service])
        LeadFactory(business=salon.business)
        ClosureFactory(
            business=salon.business,
            starts_on=dt.date(2025, 4, 1) + dt.timedelta(days=n),
            ends_on=dt.date(2025, 4, 1) + dt.timedelta(days=n),
        )
    LeadFactory(business=salon.business, phone=CALLER, name="Dana")
    call = CallFactory(business=salon.business)

    # The caller's lead, opening hours, closures, services with their providers,
    # and the transfer destinations with their hours (one more when there are some).
    for _ in range(5):
        TransferDestinationFactory(business=salon.business, hours="custom")
    with django_assert_max_num_queries(6):
        body = answer(salon.business, call=call)

    assert "Extra 24" in prompt_of(body)


# --- The analysis Roxy asks VAPI for, read back after the call ---


def test_vapis_analysis_in_the_shape_roxy_asked_for_raises_the_urgent_alert(
    salon, client, settings, time_machine
):
    settings.OPENAI_API_KEY = ""  # VAPI's analysis is all there is
    settings.VAPI_WEBHOOK_SECRET = "roxy-webhook-secret"
    settings.VAPI_HMAC_SECRET = ""
    settings.POST_CALL_ALERT_MAX_AGE_HOURS = 24
    plan = answer(salon.business)["assistant"]["analysisPlan"]
    structured = {
        "caller_name": "Dana Whitfield",
        "intent": "message",
        "service": "Haircut and color",
        "appointment_booked": False,
        "lead_captured": False,
        "callback_requested": True,
        "urgent": True,
    }
    jsonschema.validate(structured, plan["structuredDataPlan"]["schema"])
    report = load_payload("11-end-of-call-report")
    report["message"]["analysis"]["structuredData"] = structured
    # The example call ended at 10:16 AM.
    time_machine.move_to(dt.datetime(2025, 3, 14, 10, 20, tzinfo=CHICAGO), tick=False)

    response = client.post(
        reverse("vapi:webhook"),
        json.dumps(report),
        content_type="application/json",
        headers={
            settings.VAPI_AUTH_HEADER: f"{settings.VAPI_AUTH_PREFIX}roxy-webhook-secret"
        },
    )
    call = Call.objects.get(vapi_call_id=CALL_ID)
    tasks.analyze_call(call.id)

    assert response.status_code == 200
    call.refresh_from_db()
    assert call.analysis_status == Call.AnalysisStatus.COMPLETED
    assert call.intent == "message"
    urgent = Notification.objects.filter(call=call, kind="urgent_follow_up")
    assert sorted(urgent.values_list("channel", "recipient", "status")) == [
        ("email", "frontdesk@example.com", Notification.Status.QUEUED),
        ("sms", "+15125550111", Notification.Status.QUEUED),
    ]


# --- transfer-destination-request ---


def transfer(business, moment, time_machine) -> dict:
    time_machine.move_to(moment, tick=False)
    message = protocol.parse(load_payload("12-transfer-destination-request"))
    return assistant.answer_transfer_destination_request(
        message, business=business, call=None
    )


def test_during_opening_hours_the_call_goes_to_the_transfer_number(salon, time_machine):
    body = transfer(salon.business, NOW, time_machine)

    assert body["destination"]["type"] == "number"
    assert body["destination"]["number"] == "+15125550100"
    assert body["destination"]["message"].startswith("Connecting you")
    assert "error" not in body


def test_outside_opening_hours_roxy_is_told_to_take_a_message(salon, time_machine):
    evening = dt.datetime(2025, 3, 14, 17, 0, tzinfo=CHICAGO)  # closes at 5 PM

    body = transfer(salon.business, evening, time_machine)

    assert list(body) == ["error"]
    assert "Today's hours are 9:00 AM to 5:00 PM" in body["error"]
    assert "take_message" in body["error"]


def test_no_transfer_on_a_closure_day(salon, time_machine):
    ClosureFactory(
        business=salon.business,
        starts_on=NOW.date(),
        ends_on=NOW.date(),
        reason="Inventory",
    )

    body = transfer(salon.business, NOW, time_machine)

    assert "closed today" in body["error"]


def test_no_transfer_without_a_transfer_number(salon, time_machine):
    salon.business.transfer_number = ""
    salon.business.save()

    assert "take_message" in transfer(salon.business, NOW, time_machine)["error"]


def test_no_transfer_for_an_unknown_number(time_machine):
    assert "error" in transfer(None, NOW, time_machine)


def test_transfer_hours_are_judged_in_the_business_time_zone(time_machine):
    tokyo = BusinessFactory(timezone="Asia/Tokyo", transfer_number="+81312345678")
    tokyo.opening_hours.create(weekday=4, opens_at=dt.time(9), closes_at=dt.time(17))
    # 10:15 AM Friday in Austin is 12:15 AM Saturday in Tokyo.
    assert "error" in transfer(tokyo, NOW, time_machine)
