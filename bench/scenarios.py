"""What the benchmark sends: one request factory and one verdict per scenario.

Bodies are built once per tenant with apps.vapi.simulation (so they have the
size and shape of real VAPI traffic, the tenant's real assistant included) and
then stamped per request by byte substitution, which keeps the load client cheap.
"""

import datetime as dt
import itertools
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from apps.appointments import availability
from apps.appointments.models import Provider
from apps.appointments.slots import Slot
from apps.vapi import simulation
from apps.vapi.simulation import payloads
from bench.seed import Tenant

CALL, CALLER, TOOL = "@@CALL@@", "@@CALLER@@", "@@TOOL@@"
TIMESTAMP, ARGS = "@@TS@@", "@@ARGS@@"
DATE_PHRASES = ["", "tomorrow", "this week", "next week", "friday", "next tuesday"]
PARTS_OF_DAY = ["", "morning", "afternoon"]
TOOL_CALLS_PER_CALL = 4  # a call books after a few availability checks
TAKEN = (b"was just taken", b"isn't available")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None


@dataclass(frozen=True)
class LiveCall:
    tenant: Tenant
    call_id: str
    caller: str


@dataclass(frozen=True)
class Booking:
    tenant: Tenant
    slot_id: str
    name: str
    phone: str


def stamp(template: bytes, **values: str) -> bytes:
    """Fill a template's sentinels; string values are JSON-quoted in place already."""
    body = template
    for sentinel, value in values.items():
        body = body.replace(sentinel.encode(), value.encode())
    return body


def now_ms() -> str:
    return str(int(timezone.now().timestamp() * 1000))


def fresh_number(rng: random.Random) -> str:
    return f"+1512{rng.randint(800, 999)}{rng.randint(0, 9999):04d}"


class Baseline:
    name = "baseline"

    def __init__(self, tenants: list[Tenant], rng: random.Random):
        pairs = [(t.business_id, p) for t in tenants for p in t.lead_phones]
        rng.shuffle(pairs)
        self.pairs = itertools.cycle(pairs)

    def next_request(self, client: int) -> Request | None:
        business, phone = next(self.pairs)
        return Request(
            "GET", f"/bench/baseline/?business={business}&phone=%2B{phone[1:]}"
        )

    def judge(self, status: int, content: bytes) -> str:
        return "ok" if status == 200 and b'"id"' in content else "error"


class ToolScenario:
    """tool-calls for one tool inside live calls, each with a fresh toolCallId."""

    name = ""

    def __init__(self, templates: dict[int, bytes]):
        self.templates = templates

    def request(self, call: LiveCall, arguments: dict[str, Any]) -> Request:
        body = stamp(
            self.templates[call.tenant.business_id],
            **{
                CALL: call.call_id,
                CALLER: call.caller,
                TOOL: payloads.new_tool_call_id(),
            },
            **{f'"{TIMESTAMP}"': now_ms(), f'"{ARGS}"': json.dumps(arguments)},
        )
        return Request("POST", WEBHOOK_PATH, body)

    def judge(self, status: int, content: bytes) -> str:
        if status != 200:
            return "error"
        if b'"result"' in content:
            return "ok"
        return "taken" if any(t in content for t in TAKEN) else "error"


class CheckAvailability(ToolScenario):
    """A few checks per call, for the call's tenant's services, dates and parts of day."""

    name = "check_availability"

    def __init__(self, templates, calls: Iterator[LiveCall], rng: random.Random):
        super().__init__(templates)
        self.calls = calls
        self.rng = rng
        self.current: dict[int, tuple[LiveCall, int]] = {}

    def next_request(self, client: int) -> Request | None:
        call = self._call_for(client)
        if call is None:
            return None
        arguments = {
            "service": self.rng.choice(call.tenant.services),
            "date": self.rng.choice(DATE_PHRASES),
        }
        if part := self.rng.choice(PARTS_OF_DAY):
            arguments["part_of_day"] = part
        return self.request(call, arguments)

    def _call_for(self, client: int) -> LiveCall | None:
        call, used = self.current.get(client, (None, TOOL_CALLS_PER_CALL))
        if used >= TOOL_CALLS_PER_CALL:
            call, used = next(self.calls, None), 0
        if call is not None:
            self.current[client] = (call, used + 1)
        return call


class ToolCallFloor(CheckAvailability):
    """check_availability's requests sent to a floor endpoint (bench/views.py)."""

    def __init__(self, name: str, path: str, templates, calls, rng):
        super().__init__(templates, calls, rng)
        self.name = name
        self.path = path

    def request(self, call: LiveCall, arguments: dict[str, Any]) -> Request:
        return Request("POST", self.path, super().request(call, arguments).body)


class BookAppointment(ToolScenario):
    """One booking per call, each of a distinct free slot found before the run."""

    name = "book_appointment"

    def __init__(self, templates, calls: dict[int, Iterator[LiveCall]], bookings):
        super().__init__(templates)
        self.calls = calls  # by business id: a booking happens in a call to its tenant
        self.bookings: Iterator[Booking] = iter(bookings)

    def next_request(self, client: int) -> Request | None:
        booking = next(self.bookings, None)
        if booking is None:
            return None
        call = next(self.calls[booking.tenant.business_id], None)
        if call is None:
            return None
        arguments = {"slot_id": booking.slot_id, "name": booking.name}
        return self.request(call, arguments | {"phone": booking.phone})


class AssistantRequest:
    name = "assistant-request"

    def __init__(self, tenants: list[Tenant], templates: dict[int, bytes], rng):
        self.tenants = tenants
        self.templates = templates
        self.rng = rng

    def next_request(self, client: int) -> Request | None:
        tenant = self.rng.choice(self.tenants)
        known = self.rng.random() < 0.5  # half the callers are already leads
        caller = (
            self.rng.choice(tenant.lead_phones) if known else fresh_number(self.rng)
        )
        body = stamp(
            self.templates[tenant.business_id],
            **{CALL: str(uuid.uuid4()), CALLER: caller, f'"{TIMESTAMP}"': now_ms()},
        )
        return Request("POST", WEBHOOK_PATH, body)

    def judge(self, status: int, content: bytes) -> str:
        return (
            "ok" if status == 200 and content.startswith(b'{"assistant"') else "error"
        )


class EndOfCallReport:
    name = "end-of-call-report"

    def __init__(self, templates: dict[int, bytes], calls: Iterator[LiveCall]):
        self.templates = templates
        self.calls = calls

    def next_request(self, client: int) -> Request | None:
        call = next(self.calls, None)
        if call is None:
            return None
        body = stamp(
            self.templates[call.tenant.business_id],
            **{CALL: call.call_id, CALLER: call.caller, f'"{TIMESTAMP}"': now_ms()},
        )
        return Request("POST", WEBHOOK_PATH, body)

    def judge(self, status: int, content: bytes) -> str:
        return "ok" if status == 200 and content == b"{}" else "error"


WEBHOOK_PATH = "/api/v1/vapi/webhook/"


# --- templates ---


def _state(tenant: Tenant, assistant: dict[str, Any] | None) -> payloads.CallState:
    start = payloads.epoch_ms(timezone.now() - dt.timedelta(minutes=1))
    return payloads.CallState(
        call_id=CALL, caller_number=CALLER, phone_number_id=tenant.phone_number_id,
        phone_number=tenant.phone_number, phone_label="Main line", created_ms=start,
        started_ms=start + 2500, status="in-progress", assistant=assistant,
    )  # fmt: skip


def _stamped(body: dict[str, Any]) -> bytes:
    body["message"]["timestamp"] = TIMESTAMP
    return simulation.encode(body)


def assistant_request_template(tenant: Tenant) -> bytes:
    state = _state(tenant, None)
    state.status, state.started_ms = "ringing", None
    return _stamped(payloads.assistant_request(state, at_ms=state.created_ms + 100))


def tool_template(tenant: Tenant, assistant: dict[str, Any], name: str) -> bytes:
    """tool-calls for `name` a little way into a call, the tenant's assistant attached."""
    state = _state(tenant, assistant)
    talk = payloads.Conversation(started_ms=state.started_ms)
    talk.say("bot", assistant["firstMessage"], at_ms=state.started_ms + 600, seconds=4)
    asked = "Hi, I'd like to book an appointment, please."
    talk.say("user", asked, at_ms=state.started_ms + 5500, seconds=3)
    call = {
        "id": TOOL,
        "type": "function",
        "function": {"name": name, "arguments": ARGS},
    }
    return _stamped(
        payloads.tool_calls(state, [call], talk, at_ms=state.started_ms + 9500)
    )


class _CannedRoxy:
    """Answers a simulated booking call the way Roxy does, to capture its final report."""

    def __init__(self, tenant: Tenant, assistant: dict[str, Any]):
        self.tenant, self.assistant, self.bodies = tenant, assistant, []

    def post(self, body: bytes) -> simulation.Reply:
        message = json.loads(body)["message"]
        self.bodies.append(message)
        if message["type"] == "assistant-request":
            return simulation.Reply(200, {"assistant": self.assistant})
        if message["type"] == "tool-calls":
            call = message["toolCallList"][0]
            result = _CANNED[call["function"]["name"]]
            answer = {"toolCallId": call["id"], "result": result}
            return simulation.Reply(200, {"results": [answer]})
        return simulation.Reply(200, {})


_CANNED = {
    "check_availability": "Openings for Haircut (45 minutes, $45) (31 open times in all): "
    "10:00 AM on Tuesday, March 18 with Alex (slot id: 1-2-21ZkS.Ca-wxZZE6xJ8l5SK); "
    "1:30 PM on Tuesday, March 18 with Sam (slot id: 1-3-21ZkT.Zz9wxZZE6xJ8l5SK).",
    "book_appointment": "Booked: Haircut with Alex at 10:00 AM on Tuesday, March 18 for "
    "Dana Whitfield, phone (512) 555-0187. Appointment id 48213.",
}


def end_of_call_template(tenant: Tenant, assistant: dict[str, Any]) -> bytes:
    """A whole booking call's report (about 20 messages), as simulate_call sends it."""
    roxy = _CannedRoxy(tenant, assistant)
    simulator = simulation.CallSimulator(
        roxy, phone_number_id=tenant.phone_number_id, phone_number=tenant.phone_number,
        caller=simulation.Caller("+15125550187", "Dana Whitfield"), service="Haircut",
    )  # fmt: skip
    result = simulator.run("booking")
    report = {"message": roxy.bodies[-1]}
    body = _stamped(report).decode()
    return body.replace(result.call_id, CALL).replace("+15125550187", CALLER).encode()


# --- what to book ---


def plan_bookings(
    tenants: list[Tenant], count: int, rng: random.Random
) -> list[Booking]:
    """Up to `count` free, mutually non-overlapping slots, round-robin over every provider.

    Consecutive bookings go to different providers (so concurrent ones rarely
    compete), and each is for a new caller, as a real booking line sees.
    """
    queues = [
        [(tenant, slot) for slot in _provider_plan(provider, rng)]
        for tenant in tenants
        for provider in Provider.objects.filter(
            business_id=tenant.business_id, is_active=True
        )
        .select_related("business")
        .prefetch_related("services")
    ]
    planned = []
    for round_ in itertools.zip_longest(*queues):
        planned += [entry for entry in round_ if entry is not None]
        if len(planned) >= count:
            break
    return [
        Booking(tenant, slot.slot_id, f"Bench Caller {n}", fresh_number(rng))
        for n, (tenant, slot) in enumerate(planned[:count])
    ]


def _provider_plan(provider: Provider, rng: random.Random) -> list[Slot]:
    service = rng.choice(list(provider.services.filter(is_active=True)))
    today = timezone.now().astimezone(provider.business.tzinfo).date()
    slots = availability.find_free_slots(
        service,
        start_date=today + dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=85),
        provider=provider,
    )
    blocked = dt.timedelta(minutes=service.duration_minutes + service.buffer_minutes)
    chosen, free_from = [], None
    for slot in slots:
        if free_from is None or slot.start_at >= free_from:
            chosen.append(slot)
            free_from = slot.start_at + blocked
    return chosen
