"""The tools Roxy is given on assistant-request: names and JSON schemas.

The names and argument names here are the contract with `apps.roxy.tools`, which
runs them. VAPI POSTs each call to `server.url` (our webhook) as tool-calls.
"""

from typing import Any

from django.conf import settings

from apps.appointments.models import Service

PARTS_OF_DAY = ["morning", "afternoon", "evening", "any"]
URGENCIES = ["low", "normal", "urgent"]
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


def tool_server() -> dict[str, Any] | None:
    """Where VAPI sends tool calls; None leaves it to the assistant's server."""
    if not settings.VAPI_SERVER_URL:
        return None
    server: dict[str, Any] = {
        "url": settings.VAPI_SERVER_URL,
        "timeoutSeconds": settings.ROXY_TOOL_TIMEOUT_SECONDS,
    }
    if settings.VAPI_CREDENTIAL_ID:
        server["credentialId"] = settings.VAPI_CREDENTIAL_ID
    return server


def roxy_tools(services: list[Service], *, can_transfer: bool) -> list[dict[str, Any]]:
    """Every tool for an assistant of a business offering `services`."""
    service = _service_property(services)
    tools = [
        _function(
            "check_availability",
            "Find open appointment times. Call it before offering any time.",
            {
                "service": service,
                "date": _text(
                    "The day or range as the caller said it: 'tomorrow', 'next "
                    "Tuesday', 'March 21', 'this week'. Defaults to the coming week."
                ),
                "provider": _text("The person the caller wants, if any."),
                "part_of_day": {"type": "string", "enum": PARTS_OF_DAY},
            },
            required=["service"],
            spoken="One moment, let me check the schedule.",
        ),
        _function(
            "book_appointment",
            "Book a time the caller chose and confirmed. Prefer slot_id from "
            "check_availability; otherwise give service, date and time.",
            {
                "slot_id": _text("The slot id returned by check_availability."),
                "service": service,
                "date": _text("The day, if there is no slot_id."),
                "time": _text(
                    "The start time such as '1:30 PM', if there is no slot_id."
                ),
                "provider": _text("The person, if there is no slot_id."),
                "name": _text("The caller's full name."),
                "phone": _text("Their phone number; defaults to the number calling."),
                "email": _text("Their email, if they gave one."),
                "notes": _text("Anything the staff should know."),
            },
            required=["name"],
            spoken="One moment while I book that.",
            delayed="Still working on it, thanks for your patience.",
        ),
        _function(
            "find_my_appointments",
            "List the caller's own upcoming appointments, found by the number they "
            "are calling from.",
            {},
        ),
        _function(
            "reschedule_appointment",
            "Move one of the caller's upcoming appointments to a new time, after "
            "checking availability and confirming with the caller.",
            {
                "appointment_id": _text(
                    "From find_my_appointments; optional if they have one."
                ),
                "slot_id": _text("The new slot id from check_availability."),
                "date": _text("The new day, if there is no slot_id."),
                "time": _text("The new start time, if there is no slot_id."),
                "provider": _text("A different person, if the caller asked for one."),
            },
            spoken="Let me move that for you.",
        ),
        _function(
            "cancel_appointment",
            "Cancel one of the caller's upcoming appointments after they confirm.",
            {
                "appointment_id": _text(
                    "From find_my_appointments; optional if they have one."
                ),
                "reason": _text("Why, if they said."),
            },
        ),
        _function(
            "capture_lead",
            "Save an interested caller's details for follow-up when they are not "
            "booking now (quotes, events, questions for the owner).",
            {
                "name": _text("Their name."),
                "phone": _text("Their phone number; defaults to the number calling."),
                "email": _text("Their email, if given."),
                "interest": _text("What they are interested in."),
                "notes": _text("Details worth passing on: dates, group size, budget."),
                "urgency": {"type": "string", "enum": URGENCIES},
            },
            required=["name"],
        ),
        _function(
            "get_business_info",
            "Look up the business's hours, address, services, prices, policies, "
            "closures or FAQ.",
            {
                "topic": {"type": "string", "enum": INFO_TOPICS},
            },
            required=["topic"],
        ),
        _function(
            "take_message",
            "Take a message for the staff to call the caller back.",
            {
                "name": _text("Who the message is from."),
                "callback_number": _text(
                    "Number to call back; defaults to the number calling."
                ),
                "message": _text("The message, in the caller's words."),
                "urgency": {"type": "string", "enum": URGENCIES},
            },
            required=["message"],
        ),
        {"type": "endCall"},
    ]
    if can_transfer:
        # No destinations: VAPI asks our server (transfer-destination-request),
        # which checks opening hours at the moment of the transfer.
        tools.append(
            {
                "type": "transferCall",
                "messages": [{"type": "request-start", "content": "Sure, one moment."}],
            }
        )
    return tools


def _function(
    name: str,
    description: str,
    properties: dict[str, Any],
    *,
    required: list[str] | None = None,
    spoken: str = "",
    delayed: str = "",
) -> dict[str, Any]:
    tool: dict[str, Any] = {
        "type": "function",
        "async": False,
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required or [],
            },
        },
    }
    server = tool_server()
    if server:
        tool["server"] = server
    messages = []
    if spoken:
        messages.append({"type": "request-start", "content": spoken})
    if delayed:
        messages.append(
            {
                "type": "request-response-delayed",
                "content": delayed,
                "timingMilliseconds": 4000,
            }
        )
    if messages:
        tool["messages"] = messages
    return tool


def _text(description: str) -> dict[str, str]:
    return {"type": "string", "description": description}


def _service_property(services: list[Service]) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "string", "description": "The service wanted."}
    names = [service.name for service in services]
    if names:
        prop["enum"] = names
    return prop
