"""The transfer that fails over to a message (issue #16), as a simulated call.

A mixin of CallSimulator, so the driver module stays one screenful of scenarios.
"""

from typing import Any

from apps.vapi.simulation.payloads import server_message, tool_call
from apps.vapi.simulation.transports import Reply

# Used when the business lists no destinations (its single transfer_number line).
DEFAULT_DESTINATION = {
    "type": "number",
    "number": "+15125550100",
    "description": "Front desk: anything",
}


class TransferFallback:
    def _transfer_fallback(self) -> None:
        """A transfer nobody answers: VAPI's fallbackPlan hands the caller back to
        Roxy, who takes a message; the call records the transfer as `fell_back`."""
        self.outcome.intent = "question"
        if not self._answer():
            return self._end("customer-ended-call")
        self._user("Can I talk to someone about a bill, please?")
        self._bot("Of course, let me put you through.")
        destination = first_destination(self.state.assistant) or DEFAULT_DESTINATION
        self.conversation.call_tools(
            [tool_call("transferCall", {"destination": destination["number"]})],
            at_ms=self._tick(1),
        )
        body = server_message(
            self.state,
            "transfer-update",
            at_ms=self._tick(0.5),
            destination=destination,
        )
        self._send("transfer-update", body, _acknowledged)
        self._tick(30)  # it rings out; the fallback message is VAPI's to speak
        self._bot("I'm sorry, nobody could pick up just now. I can take a message.")
        self._take_message()


def first_destination(assistant: dict[str, Any] | None) -> dict[str, Any] | None:
    """The first destination of the assistant's transferCall tool, if it has any."""
    tools = ((assistant or {}).get("model") or {}).get("tools") or []
    for tool in tools:
        if tool.get("type") == "transferCall" and tool.get("destinations"):
            return tool["destinations"][0]
    return None


def _acknowledged(reply: Reply) -> tuple[bool, str]:
    return reply.is_success, "ok"
