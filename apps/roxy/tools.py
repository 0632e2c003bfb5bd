"""Running Roxy's tools (apps.roxy.registry) for tool-calls and legacy function-call
messages (docs/vapi-protocol.md §4.2, §5).

The webhook runs this inside the message's one transaction (apps.vapi.intake), so
a tool's writes, its stored outcome (ToolInvocation) and the answer stored on the
raw event commit together or not at all.

Every tool call of a call has one stored outcome, and the unique (call,
toolCallId) decides between two deliveries. A tool that writes runs at most once:
its ToolInvocation is inserted before it runs, so the loser's insert waits for the
winner's commit (PostgreSQL blocks on the uncommitted duplicate key; SQLite
transactions are IMMEDIATE), fails, and answers with the winner's stored outcome:
a redelivered booking never books twice, and never says it failed when the first
copy booked. A tool that only reads may run twice, which changes nothing: its
outcome is inserted after it, and the first stored is what every delivery hears.
"""

import logging
import time
from contextlib import nullcontext

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from apps.calls.models import ToolInvocation
from apps.core.phones import e164_or_blank
from apps.roxy.languages import call_language, speaking
from apps.roxy.registry import TOOLS, Tool
from apps.roxy.speech import one_line
from apps.roxy.toolbox import ToolContext, ToolError
from apps.vapi.protocol import FUNCTION_CALL, ToolCall, VapiMessage

logger = logging.getLogger(__name__)

# Lazy: said in the call's language; str() them where they are stored.
FAILED = gettext_lazy(
    "Something went wrong on our side with that request. Apologise, and offer to "
    "take a message so the team can follow up."
)
NO_BUSINESS = gettext_lazy(
    "This line isn't set up for that yet. Apologise and ask the caller to call back "
    "later."
)
REPEATED_ID = gettext_lazy(
    "This request repeated the id of another one in the same turn, so it was not "
    "run. Make it again if it is still needed."
)


class _Claimed(Exception):
    """Another delivery of this tool call stored its outcome first."""


def answer_tool_calls(message: VapiMessage, *, business, call) -> dict:
    """The body to answer a tool-calls (or legacy function-call) message with.

    Runs each tool call at most once (see the module docstring); never raises for
    a tool's failure, which becomes that call's `error` entry. Answers in the
    call's language (Call.language, else the business's default).
    """
    with speaking(call_language(business, call)):
        return _answer_tool_calls(message, business=business, call=call)


def _answer_tool_calls(message: VapiMessage, *, business, call) -> dict:
    context = ToolContext(
        business=business,
        call=call,
        caller_number=e164_or_blank(
            message.caller_number or getattr(call, "caller_number", "")
        ),
        now=timezone.now(),
    )
    results = []
    seen = set()
    for tool_call in message.tool_calls:
        if tool_call.id in seen:
            # Not VAPI's doing; answering it with the first entry's outcome would
            # tell the model that another request succeeded or failed.
            invocation = ToolInvocation(
                tool_call_id=tool_call.id, error=str(REPEATED_ID)
            )
        else:
            seen.add(tool_call.id)
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
        first = results[0] if results else {"error": str(FAILED)}
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
        return ToolInvocation(tool_call_id=tool_call.id, error=str(FAILED))


def _run_once(tool_call: ToolCall, context: ToolContext) -> ToolInvocation:
    tool = TOOLS.get(tool_call.name)
    invocation = ToolInvocation(
        tool_call_id=tool_call.id,
        call=context.call,
        business=context.business,
        name=tool_call.name[:64],
        arguments=tool_call.arguments,
    )
    started = time.monotonic()
    try:
        if _is_read_only(tool):
            return _run_read(invocation, tool, tool_call, context, started)
        with transaction.atomic():
            # Inserted first: the unique (call, toolCallId), not a look-up
            # beforehand, tells whether this tool call was already claimed, and
            # makes a concurrent copy wait for this one's commit.
            _claim(invocation)
            _execute(invocation, tool, tool_call, context)
            invocation.duration_ms = round((time.monotonic() - started) * 1000)
            invocation.save(update_fields=["result", "error", "duration_ms"])
        return invocation
    except _Claimed:
        logger.info("Replaying stored answer for tool call %s", tool_call.id)
        return _stored(tool_call, context)


def _run_read(
    invocation: ToolInvocation,
    tool: Tool,
    tool_call: ToolCall,
    context: ToolContext,
    started: float,
) -> ToolInvocation:
    """A read runs first and its outcome is claimed after, in one savepoint: running
    twice changes nothing, and the first outcome stored is the one every copy hears."""
    with transaction.atomic():
        # No savepoint of its own: a read that breaks the transaction breaks this
        # savepoint too, and the caller hears FAILED (see _answer_safely).
        _execute(invocation, tool, tool_call, context, isolated=False)
        invocation.duration_ms = round((time.monotonic() - started) * 1000)
        _claim(invocation)
    return invocation


def _execute(
    invocation: ToolInvocation,
    tool: Tool | None,
    tool_call: ToolCall,
    context: ToolContext,
    *,
    isolated: bool = True,
) -> None:
    """Run the tool; its answer or error goes on `invocation` (unsaved).

    `isolated`: a tool that fails leaves none of its writes behind (its own
    savepoint), and its database error does not break the message's transaction.
    """
    try:
        with transaction.atomic() if isolated else nullcontext():
            invocation.result = one_line(_dispatch(tool, tool_call, context))
    except ToolError as exc:
        invocation.error = one_line(str(exc))
    except Exception:
        logger.exception("Tool %s failed", tool_call.name)
        invocation.error = str(FAILED)


def _is_read_only(tool: Tool | None) -> bool:
    # An unknown name takes the writing path: its error is stored once, like any other.
    return tool is not None and tool.read_only


def _claim(invocation: ToolInvocation) -> None:
    try:
        invocation.save(force_insert=True)
    except IntegrityError:
        raise _Claimed from None


def _stored(tool_call: ToolCall, context: ToolContext) -> ToolInvocation:
    # Only a call's own tool calls conflict, so this is never another business's.
    stored = ToolInvocation.objects.filter(
        call=context.call, tool_call_id=tool_call.id
    ).first()
    return stored or ToolInvocation(tool_call_id=tool_call.id, error=str(FAILED))


def _dispatch(tool: Tool | None, tool_call: ToolCall, context: ToolContext) -> str:
    if tool is None:
        raise ToolError(
            gettext("There is no tool called {name}.").format(name=repr(tool_call.name))
        )
    if tool_call.arguments_error:
        raise ToolError(
            gettext("{problem} Try the request again.").format(
                problem=tool_call.arguments_error
            )
        )
    if context.business is None or not context.business.is_active:
        raise ToolError(str(NO_BUSINESS))
    return tool.run(tool_call.arguments, context)
