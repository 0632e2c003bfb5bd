"""Transfers that land, and what Roxy does when the business is closed (issue #16)."""

import datetime as dt

import pytest

from apps.businesses.models import Business, TransferDestination
from apps.roxy import assistant, prompts, transfers
from tests.businesses.factories import TransferDestinationFactory, TransferHoursFactory
from tests.roxy.salon import CALLER, NOW

pytestmark = pytest.mark.django_db

FRIDAY = NOW.weekday()


def build(salon, now=NOW) -> dict:
    profile = prompts.load_profile(salon.business, now=now)
    return assistant.build_assistant(profile, caller_number=CALLER, lead=None)


def transfer_tool(built: dict) -> dict | None:
    tools = built["model"]["tools"]
    return next((t for t in tools if t["type"] == "transferCall"), None)


def tool_names(built: dict) -> set[str]:
    return {t["function"]["name"] for t in built["model"]["tools"] if "function" in t}


def prompt_of(built: dict) -> str:
    return built["model"]["messages"][0]["content"]


def test_destinations_open_now_are_offered_with_what_they_are_for(salon):
    TransferDestinationFactory(
        business=salon.business,
        name="Front desk",
        number="+15125550100",
        purpose="bookings questions and anything else",
    )
    TransferDestinationFactory(
        business=salon.business,
        name="Owner",
        number="+15125550199",
        purpose="complaints and wholesale orders",
        mode=TransferDestination.Mode.WARM,
        hours=TransferDestination.Hours.ALWAYS,
    )
    built = build(salon)

    tool = transfer_tool(built)
    desk, owner = tool["destinations"]
    assert desk["number"] == "+15125550100"
    assert desk["description"] == "Front desk: bookings questions and anything else"
    assert desk["transferPlan"]["mode"] == "blind-transfer"
    assert owner["transferPlan"]["mode"] == "warm-transfer-experimental"
    # The person answering hears a summary; a failed transfer hands back to Roxy.
    assert owner["transferPlan"]["summaryPlan"]["enabled"] is True
    assert owner["transferPlan"]["fallbackPlan"]["endCallEnabled"] is False
    assert "- Owner: complaints and wholesale orders" in prompt_of(built)
    assert "take_message" in prompt_of(built)


def test_a_destination_outside_its_own_hours_is_not_offered(salon):
    desk = TransferDestinationFactory(
        business=salon.business, name="Dr Lee", hours=TransferDestination.Hours.CUSTOM
    )
    TransferHoursFactory(
        destination=desk, weekday=FRIDAY, opens_at=dt.time(13), closes_at=dt.time(17)
    )
    assert transfer_tool(build(salon)) is None  # 10:15, Dr Lee from 1 PM
    assert "Nobody can take a transferred call right now" in prompt_of(build(salon))

    later = NOW.replace(hour=14)
    assert transfer_tool(build(salon, now=later))["destinations"][0]["description"]


def test_opening_hours_destinations_close_with_the_business(salon):
    TransferDestinationFactory(business=salon.business, name="Front desk")
    evening = NOW.replace(hour=19)
    assert transfer_tool(build(salon, now=evening)) is None


def test_a_business_without_destinations_keeps_its_single_line(salon):
    built = build(salon)
    assert transfer_tool(built) == {
        "type": "transferCall",
        "messages": [{"type": "request-start", "content": "Sure, one moment."}],
    }


def test_closed_and_taking_messages_only_roxy_does_not_book(salon):
    salon.business.after_hours_mode = Business.AfterHours.MESSAGES
    evening = NOW.replace(hour=19)
    built = build(salon, now=evening)

    assert "book_appointment" not in tool_names(built)
    assert "check_availability" not in tool_names(built)
    assert "take_message" in tool_names(built)
    assert "only take messages" in prompt_of(built)
    assert "- book_appointment" not in prompt_of(built)
    # Open, she books as usual.
    assert "book_appointment" in tool_names(build(salon))


def test_closed_and_forwarding_urgent_matters_offers_the_on_call_line(salon):
    salon.business.after_hours_mode = Business.AfterHours.FORWARD_URGENT
    salon.business.on_call_number = "+15125550911"
    evening = NOW.replace(hour=19)
    built = build(salon, now=evening)

    (on_call,) = transfer_tool(built)["destinations"]
    assert on_call["number"] == "+15125550911"
    assert on_call["description"].startswith("On-call line: urgent matters only")
    assert "urgent matter" in prompt_of(built)
    assert "book_appointment" in tool_names(built)
    # While open, no on-call line.
    assert transfer_tool(build(salon)) is None


def test_answering_as_usual_when_closed_says_so(salon):
    evening = NOW.replace(hour=19)
    assert "is closed right now" in prompt_of(build(salon, now=evening))
    assert "is closed right now" not in prompt_of(build(salon))


def test_is_open_respects_closures():
    hours = [(FRIDAY, dt.time(9), dt.time(17))]
    local = NOW.replace(tzinfo=None)
    assert transfers.is_open(hours, [], local)
    assert not transfers.is_open(hours, [(local.date(), local.date())], local)


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_what_the_caller_hears_is_in_the_call_language(salon, language):
    from django.utils import translation

    destination = transfers.Destination(
        name="Front desk", number="+15125550100", purpose="x", warm=True
    )
    with translation.override(language):
        spoken = destination.to_vapi(salon.business)
    assert "Front desk" in spoken["message"]
    assert spoken["transferPlan"]["fallbackPlan"]["message"]


def test_an_assistant_with_every_kind_of_transfer_follows_vapis_schema(salon):
    from tests.vapi.payloads.vapi_api import spec_errors

    salon.business.after_hours_mode = Business.AfterHours.FORWARD_URGENT
    salon.business.on_call_number = "+15125550911"
    salon.business.recording_consent_required = True
    for mode in TransferDestination.Mode.values:
        TransferDestinationFactory(
            business=salon.business,
            name=f"Desk {mode}",
            mode=mode,
            hours=TransferDestination.Hours.ALWAYS,
        )
    for now in (NOW, NOW.replace(hour=19)):
        assert spec_errors(build(salon, now=now), "CreateAssistantDTO") == []
