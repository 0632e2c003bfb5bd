"""A realistic demo tenant, matching the example VAPI call in tests/vapi/payloads.

This app depends on every other app and nothing depends on it: it only seeds data.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment, Provider, ProviderHours, Service
from apps.blueprints import apply as blueprint_apply
from apps.businesses import services as business_services
from apps.businesses.models import (
    Business,
    Closure,
    Membership,
)
from apps.calls.models import Call
from apps.leads.models import Lead

DEMO_SLUG = "maison-belle"
# The second demo business: Spanish and English, a warm transfer, an after-hours rule.
SECOND_SLUG = "clinica-sol"
BUSINESS_FILES = Path(__file__).resolve().parent / "businesses"
DEMO_USERNAME = "demo"
# Published in the README, so only for local demos (seed_demo guards it outside DEBUG).
DEMO_PASSWORD = "roxy-demo"
# The VAPI phone number id used by the example payloads, so they route to the demo.
DEMO_VAPI_PHONE_NUMBER_ID = "3f8e2d1c-7b6a-4c5d-8e9f-0a1b2c3d4e5f"

# The studio's menu, hours and staff are in its file (businesses/maison-belle.yaml).
LEADS = [
    (
        "Dana Whitfield",
        "+15125550187",
        "dana.whitfield@example.com",
        "bridal party, June 21",
    ),
    ("Marcus Lee", "+15125550133", "marcus.lee@example.com", "men's cut every month"),
    ("Priya Raman", "+15125550164", "", "balayage consultation"),
    ("Tom Becker", "+15125550121", "tom@example.com", "gift card"),
]


@dataclass(frozen=True)
class DemoSeed:
    business: Business
    username: str
    password: str
    created: bool  # the business was created by this run
    login_created: bool  # so `password` is the login's password for sure


@transaction.atomic
def seed_demo_business(*, password: str, superuser: bool = False) -> DemoSeed:
    """Create the demo hair studio once, and keep its login a manager there.

    The studio's data is only ever created, never changed. The login gets `password`
    only when this run creates it; every run sets its superuser status from `superuser`
    (so a re-run demotes the superuser older seeds made) and its role at the studio
    back to manager.
    """
    business = Business.objects.filter(slug=DEMO_SLUG).first()
    created = business is None
    if created:
        business = _create_business()
        services = _create_services(business)
        providers = _create_providers(business, services)
        leads = _create_leads(business)
        _create_calls_and_appointments(business, services, providers, leads)
    second = _seed_second_business()
    login_created = _ensure_demo_login(business, password=password, superuser=superuser)
    _ensure_demo_login(second, password=password, superuser=superuser)
    return DemoSeed(
        business,
        DEMO_USERNAME,
        password,
        created=created,
        login_created=login_created,
    )


def _create_business() -> Business:
    """The studio's profile, hours, services, providers and number, from its file."""
    plan = blueprint_apply.apply_file(demo_file(DEMO_SLUG))
    business = plan.business
    Closure.objects.create(
        business=business,
        starts_on=dt.date(timezone.now().year, 12, 25),
        ends_on=dt.date(timezone.now().year, 12, 26),
        reason="Christmas",
    )
    return business


def _create_services(business: Business) -> dict[str, Service]:
    return {service.name: service for service in business.services.all()}


def _create_providers(
    business: Business, services: dict[str, Service]
) -> dict[str, Provider]:
    providers = {provider.name: provider for provider in business.providers.all()}
    # Jess starts late on Saturdays (provider hours are not in the file format).
    ProviderHours.objects.create(
        provider=providers["Jess"],
        weekday=5,
        opens_at=dt.time(11),
        closes_at=dt.time(17),
    )
    # The rest of her week is the studio's own hours, as its file sets them.
    for hours in business.opening_hours.filter(weekday__in=(1, 2, 3, 4)):
        ProviderHours.objects.create(
            provider=providers["Jess"],
            weekday=hours.weekday,
            opens_at=hours.opens_at,
            closes_at=hours.closes_at,
        )
    return providers


def demo_file(slug: str) -> str:
    """The text of a demo business's file (apps/demo/businesses/)."""
    return (BUSINESS_FILES / f"{slug}.yaml").read_text(encoding="utf-8")


def _seed_second_business() -> Business:
    """The Spanish and English clinic, from its file alone; created once."""
    business = Business.objects.filter(slug=SECOND_SLUG).first()
    if business is None:
        business = blueprint_apply.apply_file(demo_file(SECOND_SLUG)).business
    return business


def _create_leads(business: Business) -> list[Lead]:
    statuses = [
        Lead.Status.BOOKED,
        Lead.Status.NEW,
        Lead.Status.CONTACTED,
        Lead.Status.QUALIFIED,
    ]
    return [
        Lead.objects.create(
            business=business,
            name=name,
            phone=phone,
            email=email,
            interest=interest,
            status=status,
            score=score,
        )
        for (name, phone, email, interest), status, score in zip(
            LEADS, statuses, (82, 40, 65, 55), strict=True
        )
    ]


def _create_calls_and_appointments(business, services, providers, leads) -> None:
    now = timezone.now()
    for days_ago, lead in enumerate(leads, start=1):
        started = now - dt.timedelta(days=days_ago, hours=2)
        Call.objects.create(
            business=business,
            lead=lead,
            vapi_call_id=f"demo-call-{days_ago}",
            status=Call.Status.ENDED,
            caller_number=lead.phone,
            started_at=started,
            ended_at=started + dt.timedelta(seconds=95 + 20 * days_ago),
            duration_seconds=95 + 20 * days_ago,
            ended_reason="customer-ended-call",
            transcript=(
                "AI: Thanks for calling Maison Belle Hair Studio, this is Roxy! "
                "How can I help you today?\n"
                f"User: Hi, this is {lead.name}. I'm calling about {lead.interest}.\n"
                "AI: Happy to help with that. Let me take a few details."
            ),
            vapi_summary=f"{lead.name} called about {lead.interest}.",
            cost=Decimal("0.19"),
        )
    local_today = now.astimezone(business.tzinfo).date()
    open_weekdays = set(business.opening_hours.values_list("weekday", flat=True))
    next_open_days = [
        local_today + dt.timedelta(days=n)
        for n in range(1, 14)
        if (local_today + dt.timedelta(days=n)).weekday() in open_weekdays
    ]
    bookings = [
        (leads[0], "Haircut and color", "Maria", next_open_days[0], dt.time(13)),
        (leads[1], "Haircut", "Jess", next_open_days[0], dt.time(11)),
        (leads[2], "Balayage", "Maria", next_open_days[1], dt.time(10)),
    ]
    for lead, service_name, provider_name, day, at in bookings:
        appointment_services.book_appointment(
            services[service_name],
            provider=providers[provider_name],
            start_at=dt.datetime.combine(day, at, tzinfo=business.tzinfo),
            lead=lead,
            notes="Demo booking",
        )
    Appointment.objects.filter(lead=leads[1]).update(
        status=Appointment.Status.CONFIRMED
    )


def _ensure_demo_login(business: Business, *, password: str, superuser: bool) -> bool:
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME, defaults={"email": "demo@maisonbelle.example"}
    )
    if created:
        user.set_password(password)
    user.is_superuser = superuser
    user.save(update_fields=["password", "is_superuser"])
    business_services.add_member(business, user=user, role=Membership.Role.MANAGER)
    return created


FIRST_NAMES = (
    "Ava Ben Chloe Diego Emma Finn Grace Hugo Isla Jack Kai Lena Mia Noah Olivia Priya Quinn "
    "Rosa Sam Tara Uma Victor Wendy Xavier Yara Zoe Amir Bella Carlos Dana"
).split()
LAST_NAMES = (
    "Smith Garcia Nguyen Patel Johnson Brown Lee Martinez Davis Lopez Wilson Anderson Thomas "
    "Moore Jackson Martin White Harris Clark Lewis Walker Hall Young King Wright Scott Green"
).split()
INTERESTS = (
    "haircut",
    "colour",
    "balayage",
    "bridal party",
    "blowout",
    "gift card",
    "",
)
ENDED_REASONS = ("customer-ended-call", "assistant-ended-call", "silence-timed-out")
PAST_STATUSES = (
    Appointment.Status.COMPLETED,
    Appointment.Status.COMPLETED,
    Appointment.Status.COMPLETED,
    Appointment.Status.NO_SHOW,
    Appointment.Status.CANCELLED,
)


@dataclass(frozen=True)
class VolumeSeed:
    leads: int
    calls: int
    appointments: int


def seed_volume(
    business: Business, *, leads: int, batch_size: int = 5000
) -> VolumeSeed:
    """Add `leads` leads to `business`, each with a call, and an appointment for every fifth.

    For measuring the back office at realistic size; runs again add more.
    """
    start = Lead.objects.filter(business=business).count()
    service = business.services.order_by("pk").first()
    providers = list(business.providers.order_by("pk"))
    counts = [0, 0, 0]
    for offset in range(start, start + leads, batch_size):
        size = min(batch_size, start + leads - offset)
        batch = _volume_batch(business, service, providers, offset, size)
        counts = [total + added for total, added in zip(counts, batch, strict=True)]
    return VolumeSeed(*counts)


@transaction.atomic
def _volume_batch(
    business, service, providers, offset: int, size: int
) -> tuple[int, int, int]:
    now = timezone.now()
    leads = Lead.objects.bulk_create(
        _volume_lead(business, offset + i, now) for i in range(size)
    )
    calls = Call.objects.bulk_create(
        _volume_call(business, lead, offset + i) for i, lead in enumerate(leads)
    )
    appointments = Appointment.objects.bulk_create(
        _volume_appointment(business, service, providers, lead, call, offset + i)
        for i, (lead, call) in enumerate(zip(leads, calls, strict=True))
        if (offset + i) % 5 == 0
    )
    # bulk_create stamps every row now; date them from their call, as real history is.
    Call.objects.filter(pk__in=[call.pk for call in calls]).update(
        created_at=F("started_at")
    )
    for lead, call in zip(leads, calls, strict=True):
        lead.created_at = call.started_at
    Lead.objects.bulk_update(leads, ["created_at"], batch_size=1000)
    return len(leads), len(calls), len(appointments)


def _volume_lead(business: Business, n: int, now: dt.datetime) -> Lead:
    name = (
        f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n // 7) % len(LAST_NAMES)]}"
    )
    return Lead(
        business=business,
        name=name,
        phone=f"+1737{2000000 + n:07d}",
        email=f"{name.lower().replace(' ', '.')}.{n}@example.com",
        interest=INTERESTS[n % len(INTERESTS)],
        status=list(Lead.Status)[n % len(Lead.Status)],
        score=(n * 37) % 101,
        source=Lead.Source.INBOUND_CALL,
    )


def _volume_call(business: Business, lead: Lead, n: int) -> Call:
    started = timezone.now() - dt.timedelta(minutes=17 * n + 30)
    duration = 40 + n % 300
    return Call(
        business=business,
        lead=lead,
        vapi_call_id=f"volume-{business.pk}-{n}",
        status=Call.Status.ENDED,
        caller_number=lead.phone,
        started_at=started,
        ended_at=started + dt.timedelta(seconds=duration),
        duration_seconds=duration,
        ended_reason=ENDED_REASONS[n % len(ENDED_REASONS)],
        transcript=f"AI: Thanks for calling {business.name}.\nUser: Hi, it's {lead.name}.",
        vapi_summary=f"{lead.name} asked about {lead.interest or 'opening hours'}.",
        cost=Decimal("0.12"),
        analysis_status=Call.AnalysisStatus.SKIPPED,
    )


def _volume_appointment(
    business, service, providers, lead, call, n: int
) -> Appointment:
    # Past visits only, so the volume never collides with real bookings: providers
    # take turns, one visit per 90-minute step going back in time.
    step = n // 5
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(
        minutes=90 * (step // len(providers) + 1)
    )
    appointment = Appointment(
        business=business,
        service=service,
        provider=providers[step % len(providers)],
        lead=lead,
        source_call=call,
        status=PAST_STATUSES[step % len(PAST_STATUSES)],
    )
    appointment.set_times(start)
    return appointment
