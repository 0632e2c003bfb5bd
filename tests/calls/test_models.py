import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils.formats import date_format

from apps.calls.models import Call, CostLine, cost_lines
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory
from tests.vapi.payloads import load_payload

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2025, 3, 14, 15, 16, tzinfo=dt.UTC)
# 10:16 in the morning in Austin (America/Chicago, on daylight time from March 9),
# written as every staff page writes a moment.
IN_AUSTIN = date_format(
    dt.datetime(2025, 3, 14, 10, 16, tzinfo=zoneinfo.ZoneInfo("America/Chicago")),
    "DATETIME_FORMAT",
)


def _breakdown() -> dict:
    """What the webhook stores for the example call: call.costBreakdown plus costs."""
    report = load_payload("11-end-of-call-report")["message"]
    return {**report["call"]["costBreakdown"], "costs": report["costs"]}


def test_a_call_is_titled_by_its_callers_name_and_local_start_time():
    call = CallFactory(started_at=STARTED)
    call.lead = LeadFactory(business=call.business, name="Dana Whitfield")

    assert str(call) == f"Dana Whitfield · {IN_AUSTIN}"


def test_a_call_without_a_named_lead_is_titled_by_the_formatted_number():
    call = CallFactory(started_at=STARTED, caller_number="+15125550187")
    call.lead = LeadFactory(business=call.business, name="")

    assert str(call) == f"(512) 555-0187 · {IN_AUSTIN}"


def test_the_time_is_read_in_the_calls_business_zone():
    call = CallFactory(
        started_at=STARTED, business=BusinessFactory(timezone="Europe/London")
    )

    in_london = dt.datetime(
        2025, 3, 14, 15, 16, tzinfo=zoneinfo.ZoneInfo("Europe/London")
    )
    assert str(call).endswith(f" · {date_format(in_london, 'DATETIME_FORMAT')}")


def test_a_call_that_never_started_reads_its_creation_time_and_unknown_caller():
    call = CallFactory(started_at=None, ended_at=None, caller_number="")
    Call.objects.filter(pk=call.pk).update(created_at=STARTED)
    call.refresh_from_db()

    assert str(call) == f"Unknown caller · {IN_AUSTIN}"


def test_the_title_is_never_the_vapi_id():
    call = CallFactory()

    assert call.vapi_call_id not in str(call)


def test_cost_lines_read_vapis_breakdown_part_by_part_with_units():
    lines = cost_lines(_breakdown())

    assert lines == [
        CostLine("Phone line", "1.57 min · twilio", Decimal("0.0")),
        CostLine("Speech to text", "1.57 min · deepgram nova-3", Decimal("0.0157")),
        CostLine(
            "Language model",
            "21,874 prompt + 386 completion tokens · openai gpt-4o",
            Decimal("0.0586"),
        ),
        CostLine("Text to speech", "893 characters · 11labs sarah", Decimal("0.0321")),
        CostLine("VAPI platform", "1.57 min", Decimal("0.0786")),
        CostLine(
            "VAPI's analysis",
            "summary, structured data, success evaluation",
            Decimal("0.0142"),
        ),
        CostLine("Total", "", Decimal("0.1992")),
    ]
    assert sum(line.amount for line in lines[:-1]) == lines[-1].amount


def test_cost_lines_without_the_costs_list_take_units_from_the_breakdown():
    breakdown = {"llm": 0.05, "llmPromptTokens": 1200, "tts": 0.02, "total": 0.07}

    assert cost_lines(breakdown) == [
        CostLine(
            "Language model", "1,200 prompt + ? completion tokens", Decimal("0.05")
        ),
        CostLine("Text to speech", "", Decimal("0.02")),
        CostLine("Total", "", Decimal("0.07")),
    ]


def test_cost_lines_fall_back_to_the_calls_cost_for_the_total():
    call = CallFactory(cost=Decimal("0.1200"), cost_breakdown={"vapi": 0.05})

    assert call.cost_lines()[-1] == CostLine("Total", "", Decimal("0.1200"))


@pytest.mark.parametrize("breakdown", [{}, [], None, "oops"])
def test_no_cost_breakdown_reads_as_no_lines(breakdown):
    assert cost_lines(breakdown) == []


def test_a_garbled_amount_reads_as_unknown_rather_than_failing():
    breakdown = {"stt": "lots", "tts": True, "costs": ["junk", {"type": "voice"}]}

    assert cost_lines(breakdown) == [
        CostLine("Speech to text", "", None),
        CostLine("Text to speech", "", None),
        CostLine("Total", "", None),
    ]
