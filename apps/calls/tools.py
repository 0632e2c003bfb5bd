"""Roxy's tools, run for tool-calls and legacy function-call messages. (Being built: issue 3.)"""

from apps.calls.vapi import FUNCTION_CALL, VapiMessage


def answer_tool_calls(message: VapiMessage, *, business, call) -> dict:
    """The body to answer a tool-calls (or legacy function-call) message with."""
    error = "That tool isn't available yet."
    if message.type == FUNCTION_CALL:
        return {"result": error}
    return {
        "results": [
            {"toolCallId": tc.id, "name": tc.name, "error": error}
            for tc in message.tool_calls
        ]
    }
