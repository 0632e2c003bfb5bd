"""The in-repo VAPI schemas, and the example call checked against them.

tests/vapi/payloads/vapi_api/openapi.json is a cut of VAPI's published OpenAPI
definition (see the README.md next to it); these tests keep it whole, and keep the
example messages and replies what the published schemas describe.
"""

import copy
import json

import pytest

from tests.vapi.payloads import NAMES, RESPONSES, load_payload, load_response
from tests.vapi.payloads.vapi_api import SPEC, spec_errors, spec_subset

MESSAGE_SCHEMAS = {
    "assistant-request": "ServerMessageAssistantRequest",
    "status-update": "ServerMessageStatusUpdate",
    "conversation-update": "ServerMessageConversationUpdate",
    "tool-calls": "ServerMessageToolCalls",
    "transcript": "ServerMessageTranscript",
    "speech-update": "ServerMessageSpeechUpdate",
    "hang": "ServerMessageHang",
    "end-of-call-report": "ServerMessageEndOfCallReport",
    "transfer-destination-request": "ServerMessageTransferDestinationRequest",
}
# The legacy function-call has no schema in any published version (docs/vapi-protocol.md §3.3).
NO_SCHEMA = {"function-call"}
REPLY_SCHEMAS = {
    "01": "ServerMessageResponseAssistantRequest",
    "04": "ServerMessageResponseToolCalls",
    "05": "ServerMessageResponseToolCalls",
    "06": "ServerMessageResponseToolCalls",
    "12": "ServerMessageResponseTransferDestinationRequest",
}
REPLIES = sorted(path.stem for path in RESPONSES.glob("*.json"))


def test_the_subset_holds_its_roots_and_everything_they_refer_to():
    document = json.loads(SPEC.read_text())
    schemas = document["components"]["schemas"]

    assert document["x-voicehive-subset"]["roots"] == list(spec_subset.ROOTS)
    assert spec_subset.closure(schemas, spec_subset.ROOTS) == set(schemas)


def test_a_schema_outside_the_subset_fails_rather_than_skips():
    with pytest.raises(pytest.fail.Exception, match="add it to ROOTS"):
        spec_errors({}, "ServerMessageModelOutput")


@pytest.mark.parametrize("name", NAMES)
def test_every_example_message_follows_its_published_schema(name):
    """All but the tool calls whose arguments are an object (04, 05, 06): live
    traffic sends them that way, the spec says a JSON string (docs/vapi-protocol.md §5). As
    strings, as protocol.parse reads both, they conform too."""
    message = load_payload(name)["message"]
    if message["type"] in NO_SCHEMA:
        return
    schema = MESSAGE_SCHEMAS[message["type"]]

    errors = spec_errors(message, schema)

    if message["type"] == "tool-calls" and errors:
        assert all(
            error.startswith(("['toolCallList', ", "['toolWithToolCallList', "))
            for error in errors
        )
        assert spec_errors(_arguments_as_strings(message), schema) == []
    else:
        assert errors == []


@pytest.mark.parametrize("name", REPLIES)
def test_every_example_reply_follows_its_published_schema(name):
    """13 (legacy function-call) and the {} acknowledgement have no schema."""
    schema = REPLY_SCHEMAS.get(name[:2])
    if schema is None:
        assert name.startswith(("13-", "ack-"))
        return

    assert spec_errors(load_response(name), schema) == []


def _arguments_as_strings(message: dict) -> dict:
    message = copy.deepcopy(message)
    calls = [entry["toolCall"] for entry in message["toolWithToolCallList"]]
    for call in [*message["toolCallList"], *calls]:
        function = call["function"]
        if not isinstance(function["arguments"], str):
            function["arguments"] = json.dumps(function["arguments"])
    return message
