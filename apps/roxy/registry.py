"""Roxy's tools, each defined once: how the model is told about it and what runs.

The assistant offers them to VAPI from TOOLS (apps.roxy.assistant), and the
dispatcher runs them from TOOLS when VAPI sends tool-calls (apps.roxy.tools).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from apps.appointments.availability import ANY_PART_OF_DAY, PARTS_OF_DAY
from apps.appointments.models import Service
from apps.leads.models import CallbackRequest
from apps.roxy import booking_tools, consent, desk_tools, text_tools
from apps.roxy.toolbox import ToolContext

# A parameter's JSON schema, or how to build it from the business's active services.
Parameter = dict[str, Any] | Callable[[Sequence[Service]], dict[str, Any]]

INFO_TOPICS = [
    "hours",
    "address",
    "services",
    "prices",
    "policies",
    "faq",
    "closures",
    "contact",
]
# VAPI speaks this when a tool is slow to answer, after this long.
DELAYED_AFTER_MS = 4000


@dataclass(frozen=True)
class Tool:
    name: str
    description: str  # what the model reads to choose the tool
    run: Callable[[dict[str, Any], ToolContext], str]
    parameters: dict[str, Parameter] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    # Changes nothing, so it may run twice for one tool call and needs no
    # transaction around it (see apps.roxy.tools).
    read_only: bool = False
    spoken: str | Promise = ""  # said as it starts (lazy: in the call's language)
    delayed: str | Promise = ""  # said when it is slow

    def to_vapi(
        self, services: Sequence[Service], *, server: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The tool as VAPI's function tool (docs/vapi-protocol.md §10), for a business offering
        `services`; `server` is where VAPI sends the call, None for the assistant's."""
        properties = {
            name: schema(services) if callable(schema) else schema
            for name, schema in self.parameters.items()
        }
        tool: dict[str, Any] = {
            "type": "function",
            "async": False,
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {
                    "type": "object",
                    "properties": properties,
                    "required": list(self.required),
                },
            },
        }
        if server:
            tool["server"] = dict(server)
        messages = []
        if self.spoken:
            # str(): said in the call's language, and stored as JSON.
            messages.append({"type": "request-start", "content": str(self.spoken)})
        if self.delayed:
            messages.append(
                {
                    "type": "request-response-delayed",
                    "content": str(self.delayed),
                    "timingMilliseconds": DELAYED_AFTER_MS,
                }
            )
        if messages:
            tool["messages"] = messages
        return tool


def _text(description: str) -> dict[str, str]:
    return {"type": "string", "description": description}


def _one_of(choices: Sequence[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(choices)}


def _service(services: Sequence[Service]) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "string", "description": "The service wanted."}
    names = [service.name for service in services]
    if names:
        prop["enum"] = names
    return prop


CALLER_PHONE = _text("Their phone number; defaults to the number calling.")
APPOINTMENT_ID = _text("From find_my_appointments; optional if they have one.")
URGENCY = _one_of(CallbackRequest.Urgency.values)

# In the order the model is offered them.
TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            name="check_availability",
            description="Find open appointment times. Call it before offering any time.",
            run=booking_tools.check_availability,
            parameters={
                "service": _service,
                "date": _text(
                    "The day or range as the caller said it: 'tomorrow', 'next "
                    "Tuesday', 'March 21', 'this week'. Defaults to the coming week."
                ),
                "provider": _text("The person the caller wants, if any."),
                "part_of_day": _one_of([*PARTS_OF_DAY, ANY_PART_OF_DAY]),
            },
            required=("service",),
            read_only=True,
            spoken=gettext_lazy("One moment, let me check the schedule."),
        ),
        Tool(
            name="book_appointment",
            description="Book a time the caller chose and confirmed. Prefer slot_id "
            "from check_availability; otherwise give service, date and time.",
            run=booking_tools.book_appointment,
            parameters={
                "slot_id": _text("The slot id returned by check_availability."),
                "service": _service,
                "date": _text("The day, if there is no slot_id."),
                "time": _text(
                    "The start time such as '1:30 PM', if there is no slot_id."
                ),
                "provider": _text("The person, if there is no slot_id."),
                "name": _text("The caller's full name."),
                "phone": CALLER_PHONE,
                "email": _text("Their email, if they gave one."),
                "notes": _text("Anything the staff should know."),
            },
            required=("name",),
            spoken=gettext_lazy("One moment while I book that."),
            delayed=gettext_lazy("Still working on it, thanks for your patience."),
        ),
        Tool(
            name="find_my_appointments",
            description="List the caller's own upcoming appointments, found by the "
            "number they are calling from.",
            run=booking_tools.find_my_appointments,
            read_only=True,
        ),
        Tool(
            name="reschedule_appointment",
            description="Move one of the caller's upcoming appointments to a new "
            "time, after checking availability and confirming with the caller.",
            run=booking_tools.reschedule_appointment,
            parameters={
                "appointment_id": APPOINTMENT_ID,
                "slot_id": _text("The new slot id from check_availability."),
                "date": _text("The new day, if there is no slot_id."),
                "time": _text("The new start time, if there is no slot_id."),
                "provider": _text("A different person, if the caller asked for one."),
            },
            spoken=gettext_lazy("Let me move that for you."),
        ),
        Tool(
            name="cancel_appointment",
            description="Cancel one of the caller's upcoming appointments after they "
            "confirm.",
            run=booking_tools.cancel_appointment,
            parameters={
                "appointment_id": APPOINTMENT_ID,
                "reason": _text("Why, if they said."),
            },
        ),
        Tool(
            name="capture_lead",
            description="Save an interested caller's details for follow-up when they "
            "are not booking now (quotes, events, questions for the owner).",
            run=desk_tools.capture_lead,
            parameters={
                "name": _text("Their name."),
                "phone": CALLER_PHONE,
                "email": _text("Their email, if given."),
                "interest": _text("What they are interested in."),
                "notes": _text("Details worth passing on: dates, group size, budget."),
                "urgency": URGENCY,
            },
            required=("name",),
        ),
        Tool(
            name="get_business_info",
            description="Look up the business's hours, address, services, prices, "
            "policies, closures or FAQ.",
            run=desk_tools.get_business_info,
            parameters={"topic": _one_of(INFO_TOPICS)},
            required=("topic",),
            read_only=True,
        ),
        Tool(
            name="take_message",
            description="Take a message for the staff to call the caller back.",
            run=desk_tools.take_message,
            parameters={
                "name": _text("Who the message is from."),
                "callback_number": _text(
                    "Number to call back; defaults to the number calling."
                ),
                "message": _text("The message, in the caller's words."),
                "urgency": URGENCY,
            },
            required=("message",),
        ),
        Tool(
            name="send_text",
            description="Text the caller something they asked for: the address and "
            "directions, the booking just made, or the website. Say what the tool "
            "answers: it tells you when a text can't be sent.",
            run=text_tools.send_text,
            parameters={
                "what": _one_of(text_tools.WHAT_CHOICES),
                "phone": _text("A mobile number; defaults to the number calling."),
            },
            required=("what",),
            spoken="Sending that text now.",
        ),
        # Offered only to businesses that give a recording notice (apps.roxy.consent).
        Tool(
            name="decline_recording",
            description="The caller does not want this call recorded. Call it at "
            "once when they say so, then carry on helping them.",
            run=consent.decline_recording,
        ),
    )
}

# VAPI's own tools, which VAPI runs: offered to the model, never dispatched here.
END_CALL = {"type": "endCall"}
# No destinations: VAPI asks our server (transfer-destination-request), which checks
# opening hours at the moment of the transfer.
TRANSFER_CALL = {
    "type": "transferCall",
    "messages": [{"type": "request-start", "content": "Sure, one moment."}],
}
