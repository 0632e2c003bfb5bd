"""Booking by staff: where a user may book, the free times on offer, finding the
customer, and the booking itself, through the availability engine and the booking
service Roxy uses."""

import datetime as dt
import re
from dataclasses import dataclass
from itertools import groupby

from django.db import transaction
from django.db.models import Q, QuerySet

from apps.appointments import services as appointment_services
from apps.appointments.availability import Schedule
from apps.appointments.models import Appointment, Provider, Service
from apps.appointments.slots import Slot
from apps.businesses import roles
from apps.businesses.models import Business
from apps.businesses.tenancy import access_for, scope_to_user
from apps.core.phones import InvalidPhoneError, format_phone, normalize_phone
from apps.leads import services as lead_services
from apps.leads.models import Lead

APPOINTMENT = "appointments.appointment"
LEAD = "leads.lead"
CUSTOMERS_SHOWN = 10
# Shorter searches match too much to help, and below three characters PostgreSQL's
# trigram index (leads 0003) cannot serve `icontains`: it would read every lead.
MIN_SEARCH = 3
PHONE_CHARACTERS = re.compile(r"[\d\s()+.\-]+")


@dataclass(frozen=True)
class ProviderTimes:
    provider_id: int
    provider_name: str
    slots: list[Slot]


@dataclass(frozen=True)
class Customer:
    pk: int
    name: str
    phone: str  # as staff read it
    email: str


@dataclass(frozen=True)
class NewCustomer:
    name: str
    phone: str  # E.164
    email: str = ""


def bookable_businesses(user) -> QuerySet[Business]:
    """The businesses where the user's role lets them add appointments, by name."""
    businesses = Business.objects.order_by("name", "pk")
    return scope_to_user(businesses, user, actions=(roles.ADD,), label=APPOINTMENT)


def may_use_customers(user, business: Business, action: str) -> bool:
    """Whether the user's role at `business` lets them find (view) or add its leads."""
    return access_for(user).allows(business.pk, LEAD, action)


def services_of(business: Business) -> QuerySet[Service]:
    return Service.objects.filter(business=business, is_active=True)


def providers_of(business: Business) -> QuerySet[Provider]:
    return Provider.objects.filter(business=business, is_active=True)


def customers_of(business: Business) -> QuerySet[Lead]:
    return Lead.objects.filter(business=business)


def free_times(
    service: Service,
    *,
    provider: Provider | None,
    day: dt.date,
    now: dt.datetime | None = None,
) -> list[ProviderTimes]:
    """The slots Roxy would offer for `service` on `day`, grouped by provider."""
    slots = Schedule(service, provider=provider, now=now).free_slots(day, day)
    slots.sort(key=lambda s: (s.provider_name, s.provider_id, s.start_at))
    return [
        ProviderTimes(provider_id, name, list(group))
        for (provider_id, name), group in groupby(
            slots, key=lambda s: (s.provider_id, s.provider_name)
        )
    ]


def find_customers(
    business: Business, query: str, *, limit: int = CUSTOMERS_SHOWN
) -> list[Customer]:
    """The business's leads with this phone number (typed any way), or whose name or
    number contains `query`: one query, each form served by an index."""
    match = customer_match(query)
    if match is None:
        return []
    leads = customers_of(business).filter(match).order_by("name", "pk")
    return [as_customer(lead) for lead in leads.only("name", "phone", "email")[:limit]]


def customer_match(query: str) -> Q | None:
    """A whole phone number matches exactly (the unique (business, phone) index);
    part of one, or of a name, by `icontains` (the trigram indexes of leads 0003)."""
    query = " ".join(query.split())
    if PHONE_CHARACTERS.fullmatch(query):
        try:
            return Q(phone=normalize_phone(query))
        except InvalidPhoneError:
            digits = re.sub(r"\D", "", query)
            return Q(phone__icontains=digits) if len(digits) >= MIN_SEARCH else None
    return Q(name__icontains=query) if len(query) >= MIN_SEARCH else None


def as_customer(lead: Lead) -> Customer:
    phone = format_phone(lead.phone) if lead.phone else ""
    return Customer(pk=lead.pk, name=lead.name, phone=phone, email=lead.email)


@transaction.atomic
def book_for_customer(
    service: Service,
    *,
    provider: Provider,
    start_at: dt.datetime,
    customer: Lead | NewCustomer,
    notes: str = "",
) -> Appointment:
    """Book `service` for a lead, or for a new customer created here, and move the
    lead to booked, as Roxy's bookings do; the caller's confirmation is queued.

    Raises SlotTakenError, which also undoes a customer created for the booking.
    """
    business = service.business
    if isinstance(customer, NewCustomer):
        lead = lead_services.record_booking_lead(
            business,
            phone=customer.phone,
            name=customer.name,
            email=customer.email,
            source=Lead.Source.MANUAL,
        )
    else:
        lead = customer
        if lead.phone:
            lead_services.record_booking_lead(business, phone=lead.phone)
    return appointment_services.book_appointment(
        service, provider=provider, start_at=start_at, lead=lead, notes=notes
    )
