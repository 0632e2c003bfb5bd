"""A realistic demo tenant, matching the example VAPI call in ../shared/vapi/examples.

This app depends on every other app and nothing depends on it: it only seeds data.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment, Provider, ProviderHours, Service
from apps.businesses.models import (
    Business,
    Closure,
    Membership,
    OpeningHours,
    VapiPhoneNumber,
)
from apps.calls.models import Call
from apps.leads.models import Lead

DEMO_SLUG = "maison-belle"
DEMO_USERNAME = "demo"
# The VAPI phone number id used by the example payloads, so they route to the demo.
DEMO_VAPI_PHONE_NUMBER_ID = "3f8e2d1c-7b6a-4c5d-8e9f-0a1b2c3d4e5f"

SERVICES = [
    # name, minutes, price, buffer minutes
    ("haircut", 45, "65.00", 15),
    ("haircut_and_color", 150, "185.00", 15),
    ("blowout", 45, "55.00", 0),
    ("balayage", 180, "240.00", 15),
    ("bridal", 120, "300.00", 30),
]
PROVIDERS = {
    "Maria": ["haircut", "haircut_and_color", "balayage", "blowout"],
    "Jess": ["haircut", "haircut_and_color", "blowout", "bridal"],
}
# Tuesday to Saturday; Sunday and Monday closed.
HOURS = {1: ("09:00", "18:00"), 2: ("09:00", "18:00"), 3: ("09:00", "20:00"),
         4: ("09:00", "20:00"), 5: ("09:00", "17:00")}  # fmt: skip
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
    created: bool


@transaction.atomic
def seed_demo_business(*, password: str) -> DemoSeed:
    """Create the demo hair studio and its staff login once; later runs change nothing."""
    business = Business.objects.filter(slug=DEMO_SLUG).first()
    if business is not None:
        return DemoSeed(business, DEMO_USERNAME, password, created=False)
    business = _create_business()
    services = _create_services(business)
    providers = _create_providers(business, services)
    leads = _create_leads(business)
    _create_calls_and_appointments(business, services, providers, leads)
    _create_staff_login(business, password)
    return DemoSeed(business, DEMO_USERNAME, password, created=True)


def _create_business() -> Business:
    business = Business.objects.create(
        name="Maison Belle Hair Studio",
        slug=DEMO_SLUG,
        timezone="America/Chicago",
        address="1400 S Congress Ave, Suite 120, Austin, TX 78704",
        phone="+15125550142",
        website="https://maisonbelle.example",
        transfer_number="+15125550100",
        notification_emails="frontdesk@maisonbelle.example",
        notification_phones="+15125550100",
        extra_instructions="Camille coordinates bridal and event styling; take bridal enquiries "
        "as leads for her.",
        faq="Parking: free behind the building. Walk-ins: welcome when a chair is free. "
        "Products: we use Davines and Olaplex.",
        policies="Please give 24 hours' notice to cancel or reschedule; late cancellations may be "
        "charged 50%. Colour services need a patch test 48 hours before for new clients.",
    )
    VapiPhoneNumber.objects.create(
        business=business,
        vapi_phone_number_id=DEMO_VAPI_PHONE_NUMBER_ID,
        number="+15125550142",
        label="Main line",
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(
            business=business,
            weekday=weekday,
            opens_at=dt.time.fromisoformat(opens),
            closes_at=dt.time.fromisoformat(closes),
        )
        for weekday, (opens, closes) in HOURS.items()
    )
    Closure.objects.create(
        business=business,
        starts_on=dt.date(timezone.now().year, 12, 25),
        ends_on=dt.date(timezone.now().year, 12, 26),
        reason="Christmas",
    )
    return business


def _create_services(business: Business) -> dict[str, Service]:
    return {
        name: Service.objects.create(
            business=business,
            name=name,
            duration_minutes=minutes,
            price=Decimal(price),
            buffer_minutes=buffer,
        )
        for name, minutes, price, buffer in SERVICES
    }


def _create_providers(
    business: Business, services: dict[str, Service]
) -> dict[str, Provider]:
    providers = {}
    for name, service_names in PROVIDERS.items():
        provider = Provider.objects.create(business=business, name=name)
        provider.services.set(services[s] for s in service_names)
        providers[name] = provider
    # Jess starts late on Saturdays.
    ProviderHours.objects.create(
        provider=providers["Jess"],
        weekday=5,
        opens_at=dt.time(11),
        closes_at=dt.time(17),
    )
    for weekday in (1, 2, 3, 4):
        opens, closes = HOURS[weekday]
        ProviderHours.objects.create(
            provider=providers["Jess"],
            weekday=weekday,
            opens_at=dt.time.fromisoformat(opens),
            closes_at=dt.time.fromisoformat(closes),
        )
    return providers


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
    next_open_days = [
        local_today + dt.timedelta(days=n)
        for n in range(1, 14)
        if (local_today + dt.timedelta(days=n)).weekday() in HOURS
    ]
    bookings = [
        (leads[0], "haircut_and_color", "Maria", next_open_days[0], dt.time(13)),
        (leads[1], "haircut", "Jess", next_open_days[0], dt.time(11)),
        (leads[2], "balayage", "Maria", next_open_days[1], dt.time(10)),
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


def _create_staff_login(business: Business, password: str) -> None:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={
            "email": "demo@maisonbelle.example",
            "is_staff": True,
            "is_superuser": True,
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(
        user=user, business=business, defaults={"role": Membership.Role.MANAGER}
    )
