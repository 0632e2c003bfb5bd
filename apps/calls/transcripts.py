"""A call's conversation as staff read it: who said what, when, and which tools ran.

Pure: VAPI's artifact messages (or, failing those, the plain transcript) in, turns out.
"""

import json
from dataclasses import dataclass
from typing import Any

SPEAKERS = {
    "bot": ("roxy", "Roxy"),
    "assistant": ("roxy", "Roxy"),
    "user": ("caller", "Caller"),
}
TRANSCRIPT_LABELS = {"AI": ("roxy", "Roxy"), "User": ("caller", "Caller")}


@dataclass(frozen=True)
class Turn:
    kind: str  # "roxy", "caller", "tool" or "note"
    speaker: str
    text: str
    seconds: float | None = None
    tool_name: str = ""
    tool_arguments: str = ""

    @property
    def timestamp(self) -> str:
        if self.seconds is None:
            return ""
        minutes, seconds = divmod(int(self.seconds), 60)
        return f"{minutes}:{seconds:02d}"


def conversation_turns(messages: list[Any], transcript: str = "") -> list[Turn]:
    """The turns of a call, in order; tool calls are joined to their results."""
    if not isinstance(messages, list) or not messages:
        return _turns_from_transcript(transcript)
    results = {
        m.get("toolCallId"): m.get("result", "")
        for m in messages
        if isinstance(m, dict) and m.get("role") == "tool_call_result"
    }
    turns: list[Turn] = []
    for message in messages:
        if isinstance(message, dict):
            turns.extend(_turns_from_message(message, results))
    return turns


def _turns_from_message(message: dict[str, Any], results: dict[str, str]) -> list[Turn]:
    role = message.get("role")
    seconds = _seconds(message.get("secondsFromStart"))
    if role in SPEAKERS:
        kind, speaker = SPEAKERS[role]
        return [Turn(kind, speaker, str(message.get("message", "")), seconds)]
    if role == "tool_calls":
        return [
            Turn(
                "tool",
                "Tool",
                str(results.get(call.get("id"), "(no result recorded)")),
                seconds,
                tool_name=str(call.get("function", {}).get("name", "")),
                tool_arguments=_arguments(call.get("function", {}).get("arguments")),
            )
            for call in message.get("toolCalls") or []
            if isinstance(call, dict)
        ]
    return []  # the system prompt and tool results (shown with their call) are left out


def _turns_from_transcript(transcript: str) -> list[Turn]:
    turns = []
    for line in transcript.splitlines():
        label, _, text = line.partition(": ")
        if label in TRANSCRIPT_LABELS and text:
            turns.append(Turn(*TRANSCRIPT_LABELS[label], text))
        elif line.strip():
            turns.append(Turn("note", "", line.strip()))
    return turns


def _arguments(raw: Any) -> str:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return raw
    if isinstance(raw, dict):
        return ", ".join(f"{key}: {value}" for key, value in raw.items())
    return ""


def _seconds(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
