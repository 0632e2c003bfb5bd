"""Pure parsing of VAPI server messages: raw body in, VapiMessage out. No database.

See docs/vapi-protocol.md. VAPI adds message types often and its payloads
differ from its own schema in places (tool arguments as an object or a string),
so parsing is lenient about what is missing, and strict (raising VapiPayloadError)
about the envelope and about any field we read that has the wrong JSON type.
"""

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apps.vapi import storable_json

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
CALL_DELETED = "call.deleted"
CALL_DELETE_FAILED = "call.delete.failed"
# The messages VAPI waits on for an answer; every other type is informational.
ANSWERED_TYPES = frozenset(
    {ASSISTANT_REQUEST, TOOL_CALLS, FUNCTION_CALL, TRANSFER_DESTINATION_REQUEST}
)

# VAPI ids are UUIDs and tool call ids are the model's ("call_…", "toolu_…");
# anything longer is not VAPI, and would not fit the columns that store them.
MAX_ID_LENGTH = 64
MAX_TOOL_CALL_ID_LENGTH = 128


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
class CallReport:
    """What an end-of-call-report says about the finished call."""

    transcript: str = ""
    messages: list[Any] = field(default_factory=list)
    recording_url: str = ""
    stereo_recording_url: str = ""
    cost: Decimal | None = None
    cost_breakdown: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    structured_data: dict[str, Any] | list[Any] | None = None
    success_evaluation: str = ""


@dataclass(frozen=True)
class VapiMessage:
    type: str
    raw: dict[str, Any]  # the whole body, {"message": {...}}
    timestamp_ms: int | None = None
    call_id: str = ""
    call_type: str = ""  # inboundPhoneCall, outboundPhoneCall, webCall, ...
    phone_number_id: str = ""
    phone_number: str = ""  # the dialled VAPI number, E.164
    caller_number: str = ""  # the customer's number, E.164
    status: str = ""  # status-update only
    ended_reason: str = ""
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)
    report: CallReport | None = None  # end-of-call-report only

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
        if self.status:
            # 'in-progress' and 'ended' can carry the same millisecond.
            parts.append(self.status)
        if self.tool_calls:
            parts.append(",".join(tc.id for tc in self.tool_calls))
        elif self.type == END_OF_CALL_REPORT and self.call_id:
            # One report per call: a redelivery may carry a new timestamp.
            return f"{self.call_id}:{self.type}"[:255]
        if self.timestamp_ms is None or not self.call_id:
            # Without a timestamp, only the content tells two messages apart; nor,
            # without a call, does anything tie the key to one business's line.
            parts.append(self.content_hash)
        return ":".join(parts)[:255]

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(self.raw, sort_keys=True).encode()
        return hashlib.sha256(canonical).hexdigest()[:32]


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
    if len(message_type) > MAX_ID_LENGTH:
        raise VapiPayloadError("'message.type' is too long.")
    if message_type.startswith(TRANSCRIPT):
        # 'transcript[transcriptType="final"]' is the same message, finals only.
        message_type = TRANSCRIPT
    call = _object(message, "call", "message.call")
    call_id = _string(call, "id", "message.call.id")
    if len(call_id) > MAX_ID_LENGTH:
        raise VapiPayloadError("'message.call.id' is too long.")
    phone = _object(message, "phoneNumber", "message.phoneNumber")
    return VapiMessage(
        type=message_type,
        raw=raw,
        timestamp_ms=_timestamp_ms(message.get("timestamp")),
        call_id=call_id,
        call_type=_string(call, "type", "message.call.type"),
        phone_number_id=_string(phone, "id", "message.phoneNumber.id")
        or _string(call, "phoneNumberId", "message.call.phoneNumberId"),
        phone_number=_string(phone, "number", "message.phoneNumber.number"),
        caller_number=_caller_number(message, call),
        status=_status(message, message_type),
        ended_reason=_string(message, "endedReason", "message.endedReason")
        or _string(call, "endedReason", "message.call.endedReason"),
        started_at=_moment(message, call, "startedAt"),
        ended_at=_moment(message, call, "endedAt"),
        tool_calls=_tool_calls(message, message_type, call_id),
        report=_report(message, call) if message_type == END_OF_CALL_REPORT else None,
    )


def parse_datetime(value: Any) -> dt.datetime | None:
    """VAPI's ISO-8601 UTC strings ('2025-03-14T15:15:00.977Z') as aware datetimes."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=dt.UTC)
        # Normalised here so a date at the edge of the calendar fails now, not in the DB.
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


def _caller_number(message: dict[str, Any], call: dict[str, Any]) -> str:
    customer = _object(message, "customer", "message.customer")
    call_customer = _object(call, "customer", "message.call.customer")
    return _string(customer, "number", "message.customer.number") or _string(
        call_customer, "number", "message.call.customer.number"
    )


def _status(message: dict[str, Any], message_type: str) -> str:
    if message_type != STATUS_UPDATE:
        return ""
    status = message.get("status")
    if not isinstance(status, str):
        raise VapiPayloadError("'message.status' must be a string.")
    return status


def _moment(
    message: dict[str, Any], call: dict[str, Any], key: str
) -> dt.datetime | None:
    value = _string(message, key, f"message.{key}") or _string(
        call, key, f"message.call.{key}"
    )
    return parse_datetime(value)


def _report(message: dict[str, Any], call: dict[str, Any]) -> CallReport:
    """Artifact and analysis first; the top-level copies of older payloads as fallbacks."""
    artifact = _object(message, "artifact", "message.artifact")
    analysis = _object(message, "analysis", "message.analysis") or _object(
        call, "analysis", "message.call.analysis"
    )
    recording = _object(artifact, "recording", "message.artifact.recording")
    mono = _object(recording, "mono", "message.artifact.recording.mono")
    return CallReport(
        transcript=_first_string(
            (artifact, "transcript", "message.artifact.transcript"),
            (message, "transcript", "message.transcript"),
        ),
        messages=_list(artifact, "messages", "message.artifact.messages")
        or _list(message, "messages", "message.messages"),
        recording_url=_first_string(
            (artifact, "recordingUrl", "message.artifact.recordingUrl"),
            (mono, "combinedUrl", "message.artifact.recording.mono.combinedUrl"),
            (message, "recordingUrl", "message.recordingUrl"),
        ),
        stereo_recording_url=_first_string(
            (artifact, "stereoRecordingUrl", "message.artifact.stereoRecordingUrl"),
            (recording, "stereoUrl", "message.artifact.recording.stereoUrl"),
            (message, "stereoRecordingUrl", "message.stereoRecordingUrl"),
        ),
        cost=_cost(message, call),
        cost_breakdown=_cost_breakdown(message, call),
        summary=_first_string(
            (analysis, "summary", "message.analysis.summary"),
            (message, "summary", "message.summary"),
        ),
        structured_data=_structured_data(analysis),
        success_evaluation=_success_evaluation(analysis.get("successEvaluation")),
    )


def _cost(message: dict[str, Any], call: dict[str, Any]) -> Decimal | None:
    value = _number(message, "cost", "message.cost")
    if value is None:
        value = _number(call, "cost", "message.call.cost")
    return None if value is None else Decimal(str(value))


def _cost_breakdown(message: dict[str, Any], call: dict[str, Any]) -> dict[str, Any]:
    breakdown = dict(
        _object(call, "costBreakdown", "message.call.costBreakdown")
        or _object(message, "costBreakdown", "message.costBreakdown")
    )
    costs = _list(message, "costs", "message.costs") or _list(
        call, "costs", "message.call.costs"
    )
    if costs:
        breakdown["costs"] = costs
    return breakdown


def _structured_data(analysis: dict[str, Any]) -> dict[str, Any] | list[Any] | None:
    value = analysis.get("structuredData")
    if value is not None and not isinstance(value, dict | list):
        raise VapiPayloadError(
            "'message.analysis.structuredData' must be an object or a list."
        )
    return value


def _success_evaluation(value: Any) -> str:
    """Always a string in the spec ("true", "8"); older payloads sent bare JSON values."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise VapiPayloadError("'message.analysis.successEvaluation' must be a string.")


def _tool_calls(
    message: dict[str, Any], message_type: str, call_id: str
) -> tuple[ToolCall, ...]:
    if message_type == FUNCTION_CALL:
        function = _object(message, "functionCall", "message.functionCall")
        # The legacy message has no tool call id; call id and timestamp stand in,
        # or without a timestamp the message's content (a redelivery repeats it).
        # (The whole message: it carries the conversation so far, so turns differ.)
        stamp = message.get("timestamp")
        if stamp is None:
            said = json.dumps(message, sort_keys=True).encode()
            stamp = hashlib.sha256(said).hexdigest()[:32]
        legacy_id = f"{call_id}:function-call:{stamp}"
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
        if len(item["id"]) > MAX_TOOL_CALL_ID_LENGTH:
            raise VapiPayloadError("A tool call id is too long.")
        function = _dict(item.get("function")) or item
        arguments = function.get("arguments", function.get("parameters"))
        calls.append(_tool_call(item["id"], function, arguments))
    return tuple(calls)


def _tool_call(call_id: str, function: dict[str, Any], arguments: Any) -> ToolCall:
    name = _str(function.get("name"))
    if isinstance(arguments, str):
        try:
            # The same cleaning as the body's: the arguments are stored and used.
            arguments = (
                storable_json.loads(arguments, what="The tool arguments")
                if arguments.strip()
                else {}
            )
        except storable_json.UnstorableJson:
            return ToolCall(
                call_id, name, {}, "The tool arguments were not valid JSON."
            )
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return ToolCall(call_id, name, {}, "The tool arguments must be an object.")
    return ToolCall(call_id, name, arguments)


def _timestamp_ms(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VapiPayloadError("'message.timestamp' must be a number.")
    if not math.isfinite(value):
        raise VapiPayloadError("'message.timestamp' must be a finite number.")
    return int(value)


def _object(parent: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise VapiPayloadError(f"'{path}' must be an object.")
    return value


def _list(parent: dict[str, Any], key: str, path: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise VapiPayloadError(f"'{path}' must be a list.")
    return value


def _string(parent: dict[str, Any], key: str, path: str) -> str:
    value = parent.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise VapiPayloadError(f"'{path}' must be a string.")
    return value


def _first_string(*candidates: tuple[dict[str, Any], str, str]) -> str:
    values = [_string(parent, key, path) for parent, key, path in candidates]
    return next((value for value in values if value), "")


def _number(parent: dict[str, Any], key: str, path: str) -> int | float | None:
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VapiPayloadError(f"'{path}' must be a number.")
    return value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
