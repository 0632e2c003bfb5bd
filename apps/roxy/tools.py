"""Running Roxy's tools (apps.roxy.registry) for tool-calls and legacy function-call
messages (docs/vapi-protocol.md §4.2, §5).

Every tool that writes runs at most once per tool call: its ToolInvocation row is
inserted before the tool runs, in the same transaction, so the unique toolCallId
decides between two deliveries of the same call. The loser waits on that insert
(PostgreSQL blocks on the uncommitted duplicate key; SQLite transactions are
IMMEDIATE), then finds the winner's answer stored and returns it: a redelivered
booking never books twice.

A tool that only reads may run twice, which changes nothing, so it runs first and
its outcome is inserted after, with no transaction around it: the first outcome
stored is the one every delivery hears, and the caller, who is waiting, is spared
four round trips.
"""

import logging
import time
from contextlib import AbstractContextManager

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.calls.models import ToolInvocation
from apps.core.transactions import savepoint_if_nested
from apps.roxy.registry import TOOLS, Tool
from apps.roxy.speech import one_line
from apps.roxy.toolbox import ToolContext, ToolError, caller_e164
from apps.vapi.protocol import FUNCTION_CALL, ToolCall, VapiMessage

logger = logging.getLogger(__name__)

FAILED = (
    "Something went wrong on our side with that request. Apologise, and offer to "
    "take a message so the team can follow up."
)
NO_BUSINESS = (
    "This line isn't set up for that yet. Apologise and ask the caller to call back "
    "later."
)


def answer_tool_calls(message: VapiMessage, *, business, call) -> dict:
    """The body to answer a tool-calls (or legacy function-call) message with.

    Runs each tool call at most once (see the module docstring); never raises for
    a tool's failure, which becomes that call's `error` entry.
    """
    context = ToolContext(
        business=business,
        call=call,
        caller_number=caller_e164(
            message.caller_number or getattr(call, "caller_number", "")
        ),
        now=timezone.now(),
    )
    results = []
    for tool_call in message.tool_calls:
        invocation = _answer_safely(tool_call, context)
        outcome = "error" if invocation.error else "result"
        results.append(
            {
                "toolCallId": tool_call.id,
                "name": tool_call.name,
                outcome: invocation.error or invocation.result,
            }
        )
    if message.type == FUNCTION_CALL:
        first = results[0] if results else {"error": FAILED}
        return {"result": first.get("result") or first.get("error", "")}
    return {"results": results}


def _answer_safely(tool_call: ToolCall, context: ToolContext) -> ToolInvocation:
    """The tool call's stored or fresh outcome; an unsaved error if even recording fails."""
    try:
        return _run_once(tool_call, context)
    except Exception:
        # Nothing of this call was kept (its transaction rolled back), so a
        # redelivery will run it afresh; the other calls still get answers.
        logger.exception("Could not record tool call %s", tool_call.id)
        return ToolInvocation(tool_call_id=tool_call.id, error=FAILED)


def _run_once(tool_call: ToolCall, context: ToolContext) -> ToolInvocation:
    tool = TOOLS.get(tool_call.name)
    invocation = ToolInvocation(
        tool_call_id=tool_call.id,
        call=context.call,
        business=context.business,
        name=tool_call.name[:64],
        arguments=tool_call.arguments,
    )
    try:
        if _is_read_only(tool):
            _execute(invocation, tool, tool_call, context)
            with savepoint_if_nested():
                invocation.save(force_insert=True)
            return invocation
        with transaction.atomic():
            # Inserted first: the unique toolCallId, not a look-up beforehand, tells
            # whether this tool call was already claimed.
            invocation.save(force_insert=True)
            _execute(invocation, tool, tool_call, context)
            invocation.save(update_fields=["result", "error", "duration_ms"])
            return invocation
    except IntegrityError:
        # An earlier or concurrent delivery of this tool call stored its outcome,
        # and has committed by now (the insert waited for it).
        logger.info("Replaying stored answer for tool call %s", tool_call.id)
    stored = ToolInvocation.objects.filter(tool_call_id=tool_call.id).first()
    return stored or ToolInvocation(tool_call_id=tool_call.id, error=FAILED)


def _execute(
    invocation: ToolInvocation,
    tool: Tool | None,
    tool_call: ToolCall,
    context: ToolContext,
) -> None:
    """Run the tool; its answer or error and its duration go on `invocation` (unsaved)."""
    started = time.monotonic()
    try:
        # A tool that fails leaves none of its writes behind, and inside a
        # transaction its database error must not break the rest.
        with _isolated(tool):
            result = _dispatch(tool, tool_call, context)
    except ToolError as exc:
        invocation.error = one_line(str(exc))
    except Exception:
        logger.exception("Tool %s failed", tool_call.name)
        invocation.error = FAILED
    else:
        invocation.result = one_line(result)
    invocation.duration_ms = round((time.monotonic() - started) * 1000)


def _is_read_only(tool: Tool | None) -> bool:
    # An unknown name takes the writing path: its error is stored once, like any other.
    return tool is not None and tool.read_only


def _isolated(tool: Tool | None) -> AbstractContextManager:
    if _is_read_only(tool):
        return savepoint_if_nested()
    return transaction.atomic()


def _dispatch(tool: Tool | None, tool_call: ToolCall, context: ToolContext) -> str:
    if tool is None:
        raise ToolError(f"There is no tool called {tool_call.name!r}.")
    if tool_call.arguments_error:
        raise ToolError(f"{tool_call.arguments_error} Try the request again.")
    if context.business is None or not context.business.is_active:
        raise ToolError(NO_BUSINESS)
    return tool.run(tool_call.arguments, context)
