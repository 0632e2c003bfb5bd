"""VAPI server-message bodies for a simulated call, shaped like tests/vapi/payloads. Pure."""

import datetime as dt
import json
import re
import secrets
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

ORG_ID = "5e1d0c9b-8a7f-4e6d-9c5b-4a3f2e1d0c9b"  # one invented VAPI org for every call
# "1:30 PM on Tuesday, March 18 with Maria (slot id: 1-2-abc.def)", as check_availability says it.
OFFER = re.compile(
    r"(?P<when>\d{1,2}:\d{2} [AP]M on [^;(]+?) with (?P<who>[^;(]+?)"
    r" \(slot id: (?P<slot_id>[^)\s]+)\)"
)
_TOOL_ID_ALPHABET = string.ascii_letters + string.digits


def new_call_id() -> str:
    return str(uuid.uuid4())


def new_tool_call_id() -> str:
    """An id shaped like the model's own ("call_" and 24 letters and digits)."""
    return "call_" + "".join(secrets.choice(_TOOL_ID_ALPHABET) for _ in range(24))


def iso(ms: int) -> str:
    """Epoch milliseconds as VAPI writes times: '2025-03-14T15:15:00.977Z'."""
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class CallState:
    """Who is calling which number, and how far the call has got."""

    call_id: str
    caller_number: str
    phone_number_id: str
    phone_number: str
    phone_label: str = ""
    created_ms: int = 0
    started_ms: int | None = None
    ended_ms: int | None = None
    status: str = "ringing"
    ended_reason: str = ""
    assistant: dict[str, Any] | None = None  # what assistant-request answered


@dataclass
class Conversation:
    """The call's history in VAPI's two shapes, and its transcript."""

    started_ms: int
    messages: list[dict[str, Any]] = field(default_factory=list)
    openai: list[dict[str, Any]] = field(default_factory=list)

    def say(self, role: str, text: str, *, at_ms: int, seconds: float) -> None:
        """`role` is "bot" (Roxy) or "user" (the caller)."""
        end_ms = at_ms + int(seconds * 1000)
        entry = {"role": role, "message": text, "time": at_ms, "endTime": end_ms}
        entry |= {
            "secondsFromStart": self._since_start(at_ms),
            "duration": end_ms - at_ms,
        }
        self.messages.append(entry | ({"source": ""} if role == "bot" else {}))
        self.openai.append(
            {"role": "assistant" if role == "bot" else "user", "content": text}
        )

    def call_tools(self, calls: list[dict[str, Any]], *, at_ms: int) -> None:
        encoded = [
            {
                **c,
                "function": {
                    **c["function"],
                    "arguments": json.dumps(c["function"]["arguments"]),
                },
            }
            for c in calls
        ]
        self.messages.append(
            {"role": "tool_calls", "message": "", "toolCalls": encoded, "time": at_ms,
             "secondsFromStart": self._since_start(at_ms)}
        )  # fmt: skip
        self.openai.append({"role": "assistant", "content": "", "tool_calls": encoded})

    def tool_result(
        self, tool_call_id: str, name: str, text: str, *, at_ms: int
    ) -> None:
        self.messages.append(
            {"role": "tool_call_result", "toolCallId": tool_call_id, "name": name,
             "result": text, "time": at_ms, "secondsFromStart": self._since_start(at_ms)}
        )  # fmt: skip
        self.openai.append(
            {"role": "tool", "tool_call_id": tool_call_id, "content": text}
        )

    @property
    def transcript(self) -> str:
        speakers = {"bot": "AI", "user": "User"}
        lines = [
            f"{speakers[m['role']]}: {m['message']}\n"
            for m in self.messages
            if m["role"] in speakers
        ]
        return "".join(lines)

    def artifact(self) -> dict[str, Any]:
        return {
            "messages": list(self.messages),
            "messagesOpenAIFormatted": list(self.openai),
            "transcript": self.transcript,
        }

    def _since_start(self, at_ms: int) -> float:
        return round((at_ms - self.started_ms) / 1000, 2)


def call_object(state: CallState, *, at_ms: int) -> dict[str, Any]:
    """The `call` object as it stands at `at_ms`."""
    call = {
        "id": state.call_id,
        "orgId": ORG_ID,
        "type": "inboundPhoneCall",
        "status": state.status,
        "phoneCallProvider": "twilio",
        "phoneCallTransport": "pstn",
        "phoneNumberId": state.phone_number_id,
        "customer": {"number": state.caller_number},
        "createdAt": iso(state.created_ms),
        "updatedAt": iso(at_ms - 40),
    }
    if state.started_ms is not None:
        call["startedAt"] = iso(state.started_ms)
    if state.ended_ms is not None:
        call["endedAt"] = iso(state.ended_ms)
    if state.ended_reason:
        call["endedReason"] = state.ended_reason
    return call


def server_message(
    state: CallState, message_type: str, *, at_ms: int, **fields: Any
) -> dict[str, Any]:
    """The body VAPI POSTs: {"message": {type, timestamp, call, customer, phoneNumber, ...}}."""
    message = {"type": message_type, **fields, "timestamp": at_ms}
    message["call"] = call_object(state, at_ms=at_ms)
    message["customer"] = {"number": state.caller_number}
    message["phoneNumber"] = {
        "id": state.phone_number_id,
        "orgId": ORG_ID,
        "provider": "twilio",
        "number": state.phone_number,
        "name": state.phone_label,
        "status": "active",
    }
    if state.assistant is not None:
        message["assistant"] = state.assistant
    return {"message": message}


def assistant_request(state: CallState, *, at_ms: int) -> dict[str, Any]:
    return server_message(state, "assistant-request", at_ms=at_ms)


def status_update(state: CallState, *, at_ms: int) -> dict[str, Any]:
    fields = {"status": state.status}
    if state.status == "ended":
        fields["endedReason"] = state.ended_reason
    return server_message(state, "status-update", at_ms=at_ms, **fields)


def conversation_update(
    state: CallState, conversation: Conversation, *, at_ms: int
) -> dict[str, Any]:
    return server_message(
        state,
        "conversation-update",
        at_ms=at_ms,
        messages=list(conversation.messages),
        messagesOpenAIFormatted=list(conversation.openai),
    )


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A toolCallList entry with a fresh id; arguments an object, as live VAPI sends them."""
    return {
        "id": new_tool_call_id(),
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def tool_calls(
    state: CallState,
    calls: list[dict[str, Any]],
    conversation: Conversation,
    *,
    at_ms: int,
) -> dict[str, Any]:
    return server_message(
        state,
        "tool-calls",
        at_ms=at_ms,
        toolCallList=calls,
        toolWithToolCallList=[
            {**_tool_definition(state, c["function"]["name"]), "toolCall": c}
            for c in calls
        ],
        artifact=conversation.artifact(),
    )


def transfer_destination_request(
    state: CallState, conversation: Conversation, *, at_ms: int
) -> dict[str, Any]:
    return server_message(
        state,
        "transfer-destination-request",
        at_ms=at_ms,
        artifact=conversation.artifact(),
    )


def end_of_call_report(
    state: CallState,
    conversation: Conversation,
    *,
    at_ms: int,
    analysis: dict[str, Any],
) -> dict[str, Any]:
    """The final report: transcript, messages, recording, analysis and costs."""
    minutes = (state.ended_ms - state.started_ms) / 60000
    costs, breakdown = call_costs(minutes)
    body = server_message(
        state,
        "end-of-call-report",
        at_ms=at_ms,
        endedReason=state.ended_reason,
        startedAt=iso(state.started_ms),
        endedAt=iso(state.ended_ms),
        cost=breakdown["total"],
        costs=costs,
        analysis=analysis,
        artifact=conversation.artifact() | _recordings(state),
    )
    body["message"]["call"] |= {"cost": breakdown["total"], "costBreakdown": breakdown}
    return body


def call_costs(minutes: float) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """VAPI-like per-provider costs for a call this long (illustrative rates)."""
    rates = {"transport": 0.0085, "stt": 0.01, "llm": 0.035, "tts": 0.02, "vapi": 0.05}
    parts = {name: round(rate * minutes, 4) for name, rate in rates.items()}
    breakdown = parts | {"total": round(sum(parts.values()), 4)}
    costs = [
        {"type": "transport", "provider": "twilio", "minutes": round(minutes, 4),
         "cost": parts["transport"]},
        {"type": "transcriber", "minutes": round(minutes, 4), "cost": parts["stt"]},
        {"type": "model", "cost": parts["llm"]},
        {"type": "voice", "cost": parts["tts"]},
        {"type": "vapi", "subType": "normal", "minutes": round(minutes, 4),
         "cost": parts["vapi"]},
    ]  # fmt: skip
    return costs, breakdown


def _recordings(state: CallState) -> dict[str, Any]:
    stem = f"https://storage.vapi.ai/{state.call_id}-{state.ended_ms}-{uuid.uuid4()}"
    return {
        "recordingUrl": f"{stem}-mono.wav",
        "stereoRecordingUrl": f"{stem}-stereo.wav",
        "recording": {
            "stereoUrl": f"{stem}-stereo.wav",
            "mono": {"combinedUrl": f"{stem}-mono.wav"},
        },
        "logUrl": f"https://calllogs.vapi.ai/{ORG_ID}/{state.call_id}/log.json.gz",
    }


def _tool_definition(state: CallState, name: str) -> dict[str, Any]:
    tools = ((state.assistant or {}).get("model") or {}).get("tools") or []
    for tool in tools:
        if (tool.get("function") or {}).get("name") == name:
            return tool
    return {"type": "function", "async": False, "function": {"name": name}}


def first_offer(result: str) -> dict[str, str] | None:
    """The first time check_availability offered: {when, who, slot_id}, or None."""
    match = OFFER.search(result)
    return match.groupdict() if match else None
