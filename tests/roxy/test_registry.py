import datetime as dt
import re

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.appointments import availability, slots
from apps.leads.models import CallbackRequest
from apps.roxy import prompts, tools
from apps.roxy.registry import END_CALL, TOOLS, TRANSFER_CALL
from tests.roxy.salon import CALLER, CHICAGO, NOW, parse_tool_calls

pytestmark = pytest.mark.django_db

SLOT_ID = re.compile(r"slot id: ([\w.-]+)")
# Arguments each read-only tool answers with something real.
READ_ONLY_EXAMPLES = {
    "check_availability": {"service": "Haircut", "date": "tomorrow"},
    "find_my_appointments": {},
    "get_business_info": {"topic": "services"},
}


def run(salon, call, name: str, args: dict) -> dict:
    message = parse_tool_calls((name, args))
    (entry,) = tools.answer_tool_calls(message, business=salon.business, call=call)[
        "results"
    ]
    return entry


def parameters(salon, name: str) -> dict:
    spec = TOOLS[name].to_vapi(list(salon.business.services.all()), server=None)
    return spec["function"]["parameters"]


@pytest.mark.parametrize("name", list(TOOLS))
def test_every_tool_is_offered_with_a_valid_json_schema(salon, name):
    schema = parameters(salon, name)

    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) <= set(schema["properties"])


def test_roxys_prompt_explains_every_tool_she_is_offered(salon):
    salon.business.recording_consent_required = True  # offers decline_recording too
    profile = prompts.load_profile(salon.business, now=NOW)

    prompt = prompts.system_prompt(profile, caller_number=CALLER, lead=None)

    offered = [*TOOLS, END_CALL["type"], TRANSFER_CALL["type"]]
    assert [name for name in offered if f"{name}: " not in prompt] == []


@pytest.mark.parametrize(
    "tool", [tool for tool in TOOLS.values() if tool.read_only], ids=lambda t: t.name
)
def test_a_read_only_tool_writes_nothing_but_its_outcome(salon, call, tool):
    with CaptureQueriesContext(connection) as captured:
        entry = run(salon, call, tool.name, READ_ONLY_EXAMPLES[tool.name])

    assert "result" in entry, entry
    writes = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert len(writes) == 1 and "calls_toolinvocation" in writes[0]


@pytest.mark.parametrize(
    "part", TOOLS["check_availability"].parameters["part_of_day"]["enum"]
)
def test_every_part_of_day_offered_is_one_availability_searches_by(salon, call, part):
    whole_day = (dt.time.min, dt.time.max)
    opens, closes = availability.PARTS_OF_DAY.get(part, whole_day)
    salon.business.opening_hours.update(closes_at=dt.time(20))

    entry = run(
        salon,
        call,
        "check_availability",
        {"service": "Haircut", "date": "tomorrow", "part_of_day": part},
    )

    starts = [
        slots.parse_slot_id(slot_id).start_at.astimezone(CHICAGO).time()
        for slot_id in SLOT_ID.findall(entry["result"])
    ]
    assert starts and all(opens <= start < closes for start in starts)
    assert part in availability.PARTS_OF_DAY or part == availability.ANY_PART_OF_DAY


@pytest.mark.parametrize("urgency", TOOLS["take_message"].parameters["urgency"]["enum"])
def test_every_urgency_offered_is_recorded_as_given(salon, call, urgency):
    entry = run(
        salon, call, "take_message", {"message": "Call me back", "urgency": urgency}
    )

    assert "result" in entry, entry
    assert CallbackRequest.objects.get().urgency == urgency
