"""What the webhook recorded for a simulated call, read back for the summary."""

from dataclasses import dataclass

from apps.appointments.models import Appointment
from apps.calls.models import Call, WebhookEvent
from apps.leads.models import Lead


@dataclass(frozen=True)
class RecordedCall:
    call: Call | None
    lead: Lead | None
    appointments: list[Appointment]
    events: int
    tool_invocations: int


def load_recorded(vapi_call_id: str) -> RecordedCall:
    """The call, its lead and appointments, and how many events and tool runs it has."""
    events = WebhookEvent.objects.filter(vapi_call_id=vapi_call_id).count()
    call = (
        Call.objects.select_related("lead", "business")
        .filter(vapi_call_id=vapi_call_id)
        .first()
    )
    if call is None:
        return RecordedCall(None, None, [], events, 0)
    appointments = call.appointments.select_related("service", "provider", "lead")
    return RecordedCall(
        call=call,
        lead=call.lead,
        appointments=list(appointments.order_by("start_at")),
        events=events,
        tool_invocations=call.tool_invocations.count(),
    )
