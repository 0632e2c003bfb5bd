"""The scripted caller: plays one whole call against the webhook and checks each answer."""

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from apps.vapi.simulation.fallback import TransferFallback
from apps.vapi.simulation.payloads import (
    CallState,
    Conversation,
    assistant_request,
    conversation_update,
    end_of_call_report,
    epoch_ms,
    first_offer,
    new_call_id,
    status_update,
    tool_call,
    tool_calls,
    transfer_destination_request,
)
from apps.vapi.simulation.spanish import SpanishBooking
from apps.vapi.simulation.transports import (
    Reply,
    SimulationError,
    Transport,
    encode,
)

SCENARIOS = ("booking", "booking-es", "lead", "transfer", "transfer-fallback", "hangup")
# Roughly how long each scripted call lasts, so that it ends about now.
NOMINAL_SECONDS = {"booking": 55, "lead": 45, "transfer": 45, "hangup": 15}
NOMINAL_SECONDS["transfer-fallback"] = 75  # apps.vapi.simulation.fallback
NOMINAL_SECONDS["booking-es"] = 60  # apps.vapi.simulation.spanish


@dataclass(frozen=True)
class Step:
    label: str  # "tool-calls check_availability"
    status: int
    answer: str  # a short rendering of what came back
    ok: bool


@dataclass
class SimulationResult:
    scenario: str
    call_id: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    @property
    def failures(self) -> list[Step]:
        return [step for step in self.steps if not step.ok]


@dataclass(frozen=True)
class Caller:
    number: str
    name: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else "there"

    @property
    def email(self) -> str:
        return ".".join(self.name.lower().split()) + "@example.com"


@dataclass
class _Outcome:
    intent: str = "other"
    service: str = ""
    booked: str = ""  # the time booked, as Roxy said it
    lead_captured: bool = False
    callback_requested: bool = False
    transferred_to: str = ""


class CallSimulator(TransferFallback, SpanishBooking):
    """Plays one scripted caller through a whole call against the webhook."""

    def __init__(
        self,
        transport: Transport,
        *,
        phone_number_id: str,
        phone_number: str,
        caller: Caller,
        service: str = "",
        phone_label: str = "",
        now: dt.datetime | None = None,
    ):
        self.transport = transport
        self.line = (phone_number_id, phone_number, phone_label)
        self.caller = caller
        self.service = service
        self.now = now

    def run(self, scenario: str) -> SimulationResult:
        """Send every message of one call in order; the result lists each answer."""
        if scenario not in SCENARIOS:
            raise SimulationError(f"Unknown scenario {scenario!r}: one of {SCENARIOS}.")
        now_ms = epoch_ms(self.now or timezone.now())
        self.clock = now_ms - NOMINAL_SECONDS[scenario] * 1000
        phone_number_id, phone_number, label = self.line
        self.state = CallState(
            call_id=new_call_id(),
            caller_number=self.caller.number,
            phone_number_id=phone_number_id,
            phone_number=phone_number,
            phone_label=label,
            created_ms=self.clock,
        )
        self.conversation = Conversation(started_ms=self.clock)
        self.outcome = _Outcome()
        self.result = SimulationResult(scenario, self.state.call_id)
        getattr(self, f"_{scenario.replace('-', '_')}")()
        return self.result

    # --- the scenarios ---

    def _booking(self) -> None:
        self.outcome.intent, self.outcome.service = "book", self.service
        if not self._answer():
            return self._end("customer-ended-call")
        self._user(
            f"Hi, I'd like to book a {_spoken(self.service)} in the next few days."
        )
        self._conversation_update()
        offered = self._tool(
            "check_availability",
            {"service": self.service},
            expect=lambda text: first_offer(text) is not None,
        )
        offer = first_offer(offered or "")
        if offer is None:
            self._bot("I'm sorry, I can't find an opening right now.")
            return self._end("customer-ended-call")
        self._bot(f"I have {offer['when']} with {offer['who']}. Would that work?")
        self._user(f"Yes, that works. My name is {self.caller.name}.")
        self._bot(f"Thanks, {self.caller.first_name}! Is this number best for a text?")
        self._user("Yes, that's my cell.")
        args = {"slot_id": offer["slot_id"], "name": self.caller.name}
        booked = self._tool(
            "book_appointment",
            args | {"phone": self.caller.number},
            expect=lambda text: text.startswith("Booked"),
        )
        if booked and booked.startswith("Booked"):
            self.outcome.booked = f"{offer['when']} with {offer['who']}"
            self._bot(f"You're all set for {offer['when']}. Anything else?")
        self._user("No, that's everything. Thanks, bye!")
        self._end("customer-ended-call")

    def _lead(self) -> None:
        self.outcome.intent = "lead"
        if not self._answer():
            return self._end("customer-ended-call")
        self._user(
            "Hi! I'm getting married in June. Do you do hair for bridal parties?"
        )
        self._bot("Congratulations! We do. Can I take your details for our team?")
        self._user(f"Sure, I'm {self.caller.name}, email {self.caller.email}.")
        self._conversation_update()
        args = {
            "name": self.caller.name,
            "email": self.caller.email,
            "interest": "bridal party",
            "notes": "Wedding in June, party of five; wants a trial run.",
            "preferred_contact": "email",
        }
        saved = self._tool("capture_lead", args)
        self.outcome.lead_captured = saved is not None
        self._bot("Thank you! The team will be in touch soon. Anything else?")
        self._user("No, that's all. Thanks!")
        self._end("customer-ended-call")

    def _transfer(self) -> None:
        self.outcome.intent = "question"
        if not self._answer():
            return self._end("customer-ended-call")
        self._user("Hi, could I speak to someone at the front desk, please?")
        self._bot("Of course, let me connect you.")
        self.conversation.call_tools(
            [tool_call("transferCall", {})], at_ms=self._tick(1)
        )
        body = transfer_destination_request(
            self.state, self.conversation, at_ms=self._tick(0.2)
        )
        reply = self._send("transfer-destination-request", body, _check_transfer)
        destination = _answer_field(reply, "destination")
        if isinstance(destination, dict):
            self.outcome.transferred_to = str(destination.get("number", ""))
            self.state.status = "forwarding"
            self._send(
                "status-update forwarding",
                status_update(self.state, at_ms=self._tick(1.5)),
                _check_ack,
            )
            return self._end("assistant-forwarded-call", seconds=20)
        self._take_message()

    def _take_message(self) -> None:
        self._bot("Nobody can take the call right now. Can I take a message?")
        self._user("Yes please, ask them to call me back about my appointment.")
        args = {
            "message": "Please call back about my appointment.",
            "name": self.caller.name,
            "urgency": "normal",
        }
        self.outcome.intent = "message"
        self.outcome.callback_requested = self._tool("take_message", args) is not None
        self._bot("I've passed that on. They'll call you back soon.")
        self._end("customer-ended-call")

    def _hangup(self) -> None:
        self.outcome.intent = "other"
        self._answer()
        self._end("customer-ended-call", seconds=1.5)

    # --- the building blocks ---

    def _answer(self) -> bool:
        """assistant-request, then the call is answered and Roxy greets the caller."""
        body = assistant_request(self.state, at_ms=self._tick(0.2))
        reply = self._send("assistant-request", body, _check_assistant)
        assistant = _answer_field(reply, "assistant")
        if not isinstance(assistant, dict):
            return False
        self.state.assistant = assistant
        self.state.status = "in-progress"
        self.state.started_ms = self._tick(2.4)
        self.conversation.started_ms = self.state.started_ms
        status = status_update(self.state, at_ms=self.state.started_ms + 40)
        self._send("status-update in-progress", status, _check_ack)
        self._bot(str(assistant.get("firstMessage", "")))
        return True

    def _tool(self, name: str, arguments: dict[str, Any], *, expect=None) -> str | None:
        """Roxy calls one tool; the result text when it worked, else None."""
        call = tool_call(name, arguments)
        self.conversation.call_tools([call], at_ms=self._tick(0.8))
        body = tool_calls(self.state, [call], self.conversation, at_ms=self._tick(0.05))
        reply = self._send(
            f"tool-calls {name}", body, _tool_check(call["id"], expect or _anything)
        )
        outcome = _tool_outcome(reply, call["id"])
        text = outcome.get("result") or outcome.get("error") or ""
        self.conversation.tool_result(
            call["id"], name, str(text), at_ms=self._tick(0.6)
        )
        return str(outcome["result"]) if outcome.get("result") else None

    def _end(self, reason: str, *, seconds: float = 2.0) -> None:
        """The call ends: status-update ended, then the end-of-call report."""
        if self.state.started_ms is None:
            self.state.started_ms = self._tick(0.5)
        self.state.status = "ended"
        self.state.ended_reason = reason
        self.state.ended_ms = self._tick(seconds)
        self._send(
            "status-update ended",
            status_update(self.state, at_ms=self._tick(0.15)),
            _check_ack,
        )
        report = end_of_call_report(
            self.state,
            self.conversation,
            at_ms=self._tick(5.8),
            analysis=self._analysis(),
        )
        self._send("end-of-call-report", report, _check_ack)

    def _conversation_update(self) -> None:
        body = conversation_update(self.state, self.conversation, at_ms=self._tick(0.3))
        self._send("conversation-update", body, _check_ack)

    def _bot(self, text: str) -> None:
        self._say("bot", text)

    def _user(self, text: str) -> None:
        self._say("user", text)

    def _say(self, role: str, text: str) -> None:
        seconds = round(0.8 + len(text) / 15, 2)  # about 15 characters a second
        self.conversation.say(role, text, at_ms=self._tick(0.7), seconds=seconds)
        self._tick(seconds)

    def _send(self, label: str, body: dict[str, Any], check) -> Reply:
        reply = self.transport.post(encode(body))
        if not reply.is_success:
            answer = reply.error or _short(reply.body)
            self.result.steps.append(Step(label, reply.status, answer, ok=False))
            return reply
        ok, answer = check(reply)
        self.result.steps.append(Step(label, reply.status, answer, ok=ok))
        return reply

    def _tick(self, seconds: float) -> int:
        self.clock += int(seconds * 1000)
        return self.clock

    def _analysis(self) -> dict[str, Any]:
        """What VAPI's own post-call analysis would say about this script."""
        outcome = self.outcome
        data = {
            "caller_name": self.caller.name if self.state.assistant else "",
            "intent": outcome.intent,
            "service": outcome.service,
            "appointment_booked": bool(outcome.booked),
            "lead_captured": outcome.lead_captured,
            "callback_requested": outcome.callback_requested,
            "urgent": False,
        }
        return {
            "summary": _summary(self.caller, outcome, self.state.ended_reason),
            "structuredData": data,
            "successEvaluation": "false" if outcome.intent == "other" else "true",
        }


def _summary(caller: Caller, outcome: _Outcome, ended_reason: str) -> str:
    if outcome.booked:
        return f"{caller.name} called and booked a {_spoken(outcome.service)} at {outcome.booked}."
    if outcome.lead_captured:
        return f"{caller.name} asked about bridal party styling; details taken for follow-up."
    if outcome.transferred_to:
        return f"The caller asked for the front desk; transferred to {outcome.transferred_to}."
    if outcome.callback_requested:
        return f"{caller.name} asked for a callback; a message was taken for the team."
    return f"The caller hung up before saying anything ({ended_reason})."


def _spoken(name: str) -> str:
    return name.replace("_", " ")


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _answer_field(reply: Reply, key: str) -> Any:
    """A top-level field of a successful JSON-object answer, else None."""
    body = reply.body if reply.is_success and isinstance(reply.body, dict) else {}
    return body.get(key)


def _anything(text: str) -> bool:
    return True


def _check_ack(reply: Reply) -> tuple[bool, str]:
    return reply.body == {}, "ok" if reply.body == {} else _short(reply.body)


def _check_assistant(reply: Reply) -> tuple[bool, str]:
    assistant = reply.body.get("assistant") if isinstance(reply.body, dict) else None
    if isinstance(assistant, dict) and assistant.get("firstMessage"):
        return True, f'Roxy: "{assistant["firstMessage"]}"'
    return False, _short(reply.body)


def _check_transfer(reply: Reply) -> tuple[bool, str]:
    body = reply.body if isinstance(reply.body, dict) else {}
    destination = body.get("destination")
    if isinstance(destination, dict) and destination.get("number"):
        return True, f"transfer to {destination['number']}"
    if isinstance(body.get("error"), str):
        return True, f"refused: {_short(body['error'])}"
    return False, _short(reply.body)


def _tool_check(tool_call_id: str, expect):
    def check(reply: Reply) -> tuple[bool, str]:
        outcome = _tool_outcome(reply, tool_call_id)
        if "result" in outcome:
            text = str(outcome["result"])
            return bool(expect(text)), _short(text)
        if "error" in outcome:
            return False, f"error: {_short(str(outcome['error']))}"
        return False, _short(reply.body)

    return check


def _tool_outcome(reply: Reply, tool_call_id: str) -> dict[str, Any]:
    results = reply.body.get("results") if isinstance(reply.body, dict) else None
    for result in results if isinstance(results, list) else []:
        if isinstance(result, dict) and result.get("toolCallId") == tool_call_id:
            return result
    return {}
