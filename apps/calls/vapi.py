"""Pure parsing of VAPI server messages: raw dict in, VapiMessage out. No database.

See ../shared/vapi/PROTOCOL.md. VAPI adds message types often and its payloads
differ from its own schema in places (tool arguments as an object or a string),
so parsing is lenient about everything we do not rely on, and strict (raising
VapiPayloadError) only about the envelope.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

ASSISTANT_REQUEST = "assistant-request"
TOOL_CALLS = "tool-calls"
FUNCTION_CALL = "function-call"  # legacy model.functions assistants
TRANSFER_DESTINATION_REQUEST = "transfer-destination-request"
STATUS_UPDATE = "status-update"
END_OF_CALL_REPORT = "end-of-call-report"
CONVERSATION_UPDATE = "conversation-update"
TRANSCRIPT = "transcript"
SPEECH_UPDATE = "speech-update"
HANG = "hang"
USER_INTERRUPTED = "user-interrupted"


class VapiPayloadError(ValueError):
    """The body is not a VAPI server message we can act on (answered with 400)."""


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    # Set when the arguments could not be read; the tool answers with an error.
    arguments_error: str = ""


@dataclass(frozen=True)
class VapiMessage:
    type: str
    raw: dict[str, Any]  # the whole body, {"message": {...}}
    timestamp_ms: int | None = None
    call_id: str = ""
    phone_number_id: str = ""
    phone_number: str = ""  # the dialled VAPI number, E.164
    caller_number: str = ""  # the customer's number, E.164
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)

    @property
    def body(self) -> dict[str, Any]:
        return self.raw["message"]

    @property
    def call(self) -> dict[str, Any]:
        return _dict(self.body.get("call"))

    @property
    def dedupe_key(self) -> str:
        """Identity of this delivery: the same message redelivered has the same key."""
        parts = [self.call_id or "-", self.type, str(self.timestamp_ms or "-")]
        if self.tool_calls:
            parts.append(",".join(tc.id for tc in self.tool_calls))
        elif self.type == END_OF_CALL_REPORT:
            # One report per call: a redelivery may carry a new timestamp.
            parts = [self.call_id or "-", self.type]
        return ":".join(parts)[:255]


def parse(raw: Any) -> VapiMessage:
    """Parse a decoded JSON body into a VapiMessage, or raise VapiPayloadError."""
    if not isinstance(raw, dict):
        raise VapiPayloadError("The body must be a JSON object.")
    message = raw.get("message")
    if not isinstance(message, dict):
        raise VapiPayloadError("The body must have a 'message' object.")
    message_type = message.get("type")
    if not isinstance(message_type, str) or not message_type:
        raise VapiPayloadError("'message.type' must be a non-empty string.")
    if message_type.startswith(TRANSCRIPT):
        # 'transcript[transcriptType="final"]' is the same message, finals only.
        message_type = TRANSCRIPT
    call = _dict(message.get("call"))
    call_id = call.get("id", "")
    if not isinstance(call_id, str):
        raise VapiPayloadError("'message.call.id' must be a string.")
    phone = _dict(message.get("phoneNumber"))
    customer = _dict(message.get("customer")) or _dict(call.get("customer"))
    return VapiMessage(
        type=message_type,
        raw=raw,
        timestamp_ms=_timestamp_ms(message.get("timestamp")),
        call_id=call_id,
        phone_number_id=_str(phone.get("id")) or _str(call.get("phoneNumberId")),
        phone_number=_str(phone.get("number")),
        caller_number=_str(customer.get("number")),
        tool_calls=_tool_calls(message, message_type, call_id),
    )


def parse_datetime(value: Any) -> dt.datetime | None:
    """VAPI's ISO-8601 UTC strings ('2025-03-14T15:15:00.977Z') as aware datetimes."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _tool_calls(
    message: dict[str, Any], message_type: str, call_id: str
) -> tuple[ToolCall, ...]:
    if message_type == FUNCTION_CALL:
        function = _dict(message.get("functionCall"))
        # The legacy message has no tool call id; call id and timestamp stand in.
        legacy_id = f"{call_id}:function-call:{message.get('timestamp', '')}"
        return (_tool_call(legacy_id, function, function.get("parameters")),)
    if message_type != TOOL_CALLS:
        return ()
    items = message.get("toolCallList")
    if items is None:
        items = message.get("toolCalls")  # observed in 2024 payloads
    if not isinstance(items, list):
        raise VapiPayloadError("'message.toolCallList' must be a list.")
    calls = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise VapiPayloadError("Every tool call needs a string 'id'.")
        function = _dict(item.get("function")) or item
        arguments = function.get("arguments", function.get("parameters"))
        calls.append(_tool_call(item["id"], function, arguments))
    return tuple(calls)


def _tool_call(call_id: str, function: dict[str, Any], arguments: Any) -> ToolCall:
    name = _str(function.get("name"))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            return ToolCall(
                call_id, name, {}, "The tool arguments were not valid JSON."
            )
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return ToolCall(call_id, name, {}, "The tool arguments must be an object.")
    return ToolCall(call_id, name, arguments)


def _timestamp_ms(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
