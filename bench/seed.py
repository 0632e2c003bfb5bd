"""Volume for the benchmark: the demo studio among many tenants, with weeks of history.

Rows are bulk-inserted (the booking constraint still checks every appointment)
and then back-dated with SQL, because `created_at` is set on insert. PostgreSQL only.
"""

import datetime as dt
import random
import uuid
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from apps.appointments.models import Appointment, Provider, Service
from apps.businesses.models import Business, OpeningHours, VapiPhoneNumber
from apps.calls.models import Call, ToolInvocation, WebhookEvent
from apps.demo import services as demo_services
from apps.leads.models import Lead

ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
SERVICES = [("Haircut", 45, 15), ("Color", 90, 15), ("Beard trim", 30, 0)]
PROVIDERS = ["Alex", "Sam", "Robin"]
HISTORY_DAYS = 56  # past appointments and calls
FUTURE_DAYS = 21  # upcoming appointments already in the book
DAILY_STARTS = [dt.time(9), dt.time(12, 30), dt.time(16)]  # booked per provider-day
EVENT_TYPES = ["assistant-request", "status-update", "tool-calls", "end-of-call-report"]
BATCH = 2000


@dataclass
class Tenant:
    business_id: int
    slug: str
    phone_number_id: str
    phone_number: str
    services: list[str]
    lead_phones: list[str] = field(default_factory=list)
    live_calls: list[tuple[str, str]] = field(default_factory=list)  # (call id, caller)


def seed_volume(
    *, tenants: int, leads: int, calls: int, live_calls: int, rng: random.Random
) -> list[Tenant]:
    """The demo tenant plus `tenants - 1` others, each with leads, calls and appointments."""
    demo = demo_services.seed_demo_business(password="bench-demo").business
    businesses = [demo] + [_create_business(n, rng) for n in range(1, tenants)]
    result = []
    for index, business in enumerate(businesses):
        tenant = _tenant(business)
        tenant.lead_phones = _create_leads(business, index, leads)
        _create_history(business, tenant.lead_phones, calls, rng)
        _create_appointments(business, rng)
        tenant.live_calls = _create_live_calls(business, live_calls // tenants, rng)
        result.append(tenant)
    _backdate()
    return result


def _create_business(number: int, rng: random.Random) -> Business:
    business = Business.objects.create(
        name=f"Studio {number:03d}",
        slug=f"studio-{number:03d}",
        timezone=rng.choice(ZONES),
        phone=f"+1737{300 + number:03d}0100",
        transfer_number=f"+1737{300 + number:03d}0101",
        faq="Parking behind the building. Walk-ins welcome when a chair is free.",
        policies="24 hours' notice to cancel or reschedule, please.",
    )
    VapiPhoneNumber.objects.create(
        business=business,
        vapi_phone_number_id=str(uuid.uuid4()),
        number=business.phone,
        label="Main line",
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(business=business, weekday=d, opens_at=dt.time(9), closes_at=dt.time(18))
        for d in range(6)
    )  # fmt: skip
    services = [
        Service.objects.create(
            business=business, name=name, duration_minutes=minutes,
            price=Decimal(minutes), buffer_minutes=buffer,
        )
        for name, minutes, buffer in SERVICES
    ]  # fmt: skip
    for name in PROVIDERS:
        provider = Provider.objects.create(business=business, name=name)
        provider.services.set(services)
    return business


def _tenant(business: Business) -> Tenant:
    line = business.phone_numbers.order_by("pk").first()
    return Tenant(
        business_id=business.pk,
        slug=business.slug,
        phone_number_id=line.vapi_phone_number_id,
        phone_number=line.number,
        services=list(business.services.values_list("name", flat=True)),
    )


def lead_phone(tenant_index: int, n: int) -> str:
    return f"+1512{200 + tenant_index:03d}{n:04d}"


def _create_leads(business: Business, index: int, count: int) -> list[str]:
    statuses = [s for s, _ in Lead.Status.choices]
    phones = [lead_phone(index, n) for n in range(count)]
    Lead.objects.bulk_create(
        [
            Lead(
                business=business, name=f"Client {n}", phone=phone,
                email=f"client{n}@example.com", status=statuses[n % len(statuses)],
                interest="haircut", notes="Seeded for the benchmark.",
            )
            for n, phone in enumerate(phones)
        ],
        batch_size=BATCH,
        ignore_conflicts=True,  # the demo already has a few of these
    )  # fmt: skip
    return phones


def _create_history(
    business: Business, phones: list[str], count: int, rng: random.Random
) -> None:
    """Ended calls over the past weeks, each with its webhook events and a tool run."""
    leads = dict(Lead.objects.filter(business=business).values_list("phone", "id"))
    now = timezone.now()
    calls = []
    for _ in range(count):
        phone = rng.choice(phones)
        started = now - dt.timedelta(seconds=rng.randint(600, HISTORY_DAYS * 86400))
        calls.append(_ended_call(business, phone, leads.get(phone), started, rng))
    Call.objects.bulk_create(calls, batch_size=BATCH)
    WebhookEvent.objects.bulk_create(
        (event for call in calls for event in _events(call)), batch_size=BATCH
    )
    ToolInvocation.objects.bulk_create(
        (_tool_run(call) for call in calls), batch_size=BATCH
    )


def _ended_call(business, phone, lead_id, started, rng) -> Call:
    seconds = rng.randint(20, 300)
    return Call(
        business=business, lead_id=lead_id, vapi_call_id=str(uuid.uuid4()),
        status=Call.Status.ENDED, caller_number=phone, started_at=started,
        ended_at=started + dt.timedelta(seconds=seconds), duration_seconds=seconds,
        ended_reason="customer-ended-call", cost=Decimal("0.12") * seconds / 60,
        transcript="AI: Thanks for calling, this is Roxy.\nUser: I'd like a haircut.\n" * 8,
        vapi_summary="The caller asked about a haircut.",
        analysis_status=Call.AnalysisStatus.COMPLETED,
    )  # fmt: skip


def _events(call: Call) -> list[WebhookEvent]:
    return [
        WebhookEvent(
            type=kind, dedupe_key=f"{call.vapi_call_id}:{kind}", call=call,
            vapi_call_id=call.vapi_call_id, status=WebhookEvent.Status.PROCESSED,
            payload={"message": {"type": kind, "call": {"id": call.vapi_call_id}}},
            response={}, processed_at=call.ended_at,
        )
        for kind in EVENT_TYPES
    ]  # fmt: skip


def _tool_run(call: Call) -> ToolInvocation:
    return ToolInvocation(
        tool_call_id=f"call_{uuid.uuid4().hex[:24]}", call=call,
        business_id=call.business_id, name="check_availability",
        arguments={"service": "Haircut"}, result="Openings for Haircut: ...",
        duration_ms=25,
    )  # fmt: skip


def _create_appointments(business: Business, rng: random.Random) -> None:
    """Three bookings a provider a working day, past weeks and the coming ones."""
    tz = zoneinfo.ZoneInfo(business.timezone)
    weekdays = set(business.opening_hours.values_list("weekday", flat=True))
    today = timezone.now().astimezone(tz).date()
    days = [
        today + dt.timedelta(days=n)
        for n in range(-HISTORY_DAYS, FUTURE_DAYS)
        if (today + dt.timedelta(days=n)).weekday() in weekdays
    ]
    taken = _booked_days(business, tz)  # the demo's own bookings stay as they are
    appointments = []
    for provider in business.providers.prefetch_related("services"):
        services = list(provider.services.all())
        for day in days:
            if (provider.pk, day) in taken:
                continue
            for start in DAILY_STARTS:
                service = rng.choice(services)
                appointments.append(
                    _appointment(business, provider, service, day, start, tz)
                )
    Appointment.objects.bulk_create(appointments, batch_size=BATCH)


def _booked_days(business: Business, tz: zoneinfo.ZoneInfo) -> set[tuple[int, dt.date]]:
    starts = Appointment.objects.filter(business=business).values_list(
        "provider_id", "start_at"
    )
    return {(provider_id, start.astimezone(tz).date()) for provider_id, start in starts}


def _appointment(business, provider, service, day, start, tz) -> Appointment:
    appointment = Appointment(
        business=business,
        service=service,
        provider=provider,
        status=Appointment.Status.BOOKED,
        notes="Seeded for the benchmark.",
    )
    appointment.set_times(dt.datetime.combine(day, start, tzinfo=tz))
    if appointment.start_at < timezone.now():
        appointment.status = Appointment.Status.COMPLETED
    return appointment


def _create_live_calls(
    business: Business, count: int, rng: random.Random
) -> list[tuple[str, str]]:
    """Calls in progress right now: their end-of-call reports are sent by the bench."""
    now = timezone.now()
    calls = [
        Call(
            business=business, vapi_call_id=str(uuid.uuid4()),
            status=Call.Status.IN_PROGRESS, caller_number=f"+1512{rng.randint(2000000, 9999999)}",
            started_at=now - dt.timedelta(seconds=rng.randint(30, 240)),
        )
        for _ in range(count)
    ]  # fmt: skip
    Call.objects.bulk_create(calls, batch_size=BATCH)
    return [(call.vapi_call_id, call.caller_number) for call in calls]


def _backdate() -> None:
    """Spread created/received times over the history, as weeks of real use would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE calls_call SET created_at = started_at, updated_at = "
            "COALESCE(ended_at, started_at)"
        )
        cursor.execute(
            "UPDATE calls_webhookevent e SET received_at = c.started_at "
            "FROM calls_call c WHERE e.call_id = c.id"
        )
        cursor.execute(
            "UPDATE calls_toolinvocation t SET created_at = c.started_at "
            "FROM calls_call c WHERE t.call_id = c.id"
        )
        cursor.execute(
            "UPDATE leads_lead SET created_at = now() - random() * interval '56 days'"
        )
        cursor.execute(
            "UPDATE appointments_appointment SET created_at = start_at - interval '3 days'"
        )
