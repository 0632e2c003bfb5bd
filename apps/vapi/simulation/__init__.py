"""Simulated VAPI calls: realistic server-message payloads and a driver that sends them.

Used by `manage.py simulate_call` and by the load benchmark in bench/. The payload
builders (`payloads`) are pure and follow tests/vapi/payloads; the driver
(`driver`) plays a scripted caller against the real webhook through a transport
(`transports`: Django's test client in process, or httpx over HTTP) that signs
each body with the configured VAPI credential; `recorded` reads back the result.
"""

from apps.vapi.simulation.driver import (
    NOMINAL_SECONDS,
    SCENARIOS,
    Caller,
    CallSimulator,
    SimulationResult,
    Step,
)
from apps.vapi.simulation.payloads import (
    CallState,
    Conversation,
    first_offer,
    new_call_id,
    new_tool_call_id,
)
from apps.vapi.simulation.recorded import RecordedCall, load_recorded
from apps.vapi.simulation.transports import (
    HttpTransport,
    InProcessTransport,
    Reply,
    SimulationError,
    Transport,
    WebhookCredential,
    encode,
)

__all__ = [
    "NOMINAL_SECONDS",
    "SCENARIOS",
    "CallSimulator",
    "CallState",
    "Caller",
    "Conversation",
    "HttpTransport",
    "InProcessTransport",
    "RecordedCall",
    "Reply",
    "SimulationError",
    "SimulationResult",
    "Step",
    "Transport",
    "WebhookCredential",
    "encode",
    "first_offer",
    "load_recorded",
    "new_call_id",
    "new_tool_call_id",
]
