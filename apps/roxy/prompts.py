"""What Roxy knows about a business, as her system prompt and as spoken answers.

`load_profile` reads everything in a fixed handful of queries however many
services or closures there are: assistant-request has VAPI's 7.5 s budget.
"""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db.models import F
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext, pgettext

from apps.appointments.models import Service
from apps.businesses.models import Business, Weekday
from apps.leads.models import Lead
from apps.roxy import consent, transfers
from apps.roxy.languages import LANGUAGE_NAMES
from apps.roxy.speech import (
    say_clock,
    say_day,
    say_duration,
    say_hours,
    say_list,
    say_phone,
    say_price,
)


def default_greeting(business: Business) -> str:
    """The greeting when the business wrote none, in the active language."""
    return gettext(
        "Thanks for calling {business}, this is {assistant}. How can I help you today?"
    ).format(business=business.name, assistant=business.assistant_name or "Roxy")


class Span(NamedTuple):
    """One opening interval on a weekday (Weekday's numbering)."""

    weekday: int
    opens_at: dt.time
    closes_at: dt.time


class ClosedDays(NamedTuple):
    starts_on: dt.date
    ends_on: dt.date
    reason: str


@dataclass(frozen=True)
class BusinessProfile:
    business: Business
    now: dt.datetime  # aware, in the business's time zone
    hours: list[Span]
    closures: list[ClosedDays]
    # Active, each with `provider_names`: its active providers' names, by name.
    services: list[Service]

    @property
    def today(self) -> dt.date:
        return self.now.date()


def load_profile(business: Business, *, now: dt.datetime) -> BusinessProfile:
    """The business's hours, coming closures and active services (three queries).

    Read fresh for every call (staff edits show at once). Hours and closures are
    plain tuples, and services come with their providers' names in the same query:
    model instances, prefetch_related and each extra query cost more than the
    rows themselves here.
    """
    local_now = now.astimezone(business.tzinfo)
    horizon = local_now.date() + dt.timedelta(days=settings.ROXY_CLOSURE_LOOKAHEAD_DAYS)
    hours = business.opening_hours.values_list("weekday", "opens_at", "closes_at")
    closures = business.closures.filter(
        ends_on__gte=local_now.date(), starts_on__lte=horizon
    ).values_list("starts_on", "ends_on", "reason")
    return BusinessProfile(
        business=business,
        now=local_now,
        hours=[Span(*row) for row in hours],
        closures=[ClosedDays(*row) for row in closures],
        services=_services_with_provider_names(business),
    )


def _services_with_provider_names(business: Business) -> list[Service]:
    """Active services by name, each with `provider_names` (active ones, by name), in
    one query: a row per (service, provider), the service's first row kept."""
    rows = (
        business.services.filter(is_active=True)
        .annotate(
            provider_name=F("providers__name"),
            provider_is_active=F("providers__is_active"),
        )
        .order_by("name", "pk", "provider_name")
    )
    services: dict[int, Service] = {}
    for row in rows:
        service = services.setdefault(row.pk, row)
        if service is row:
            service.provider_names = []
        if row.provider_is_active:  # None when nobody offers the service
            service.provider_names.append(row.provider_name)
    return list(services.values())


def first_message(business: Business, *, lead: Lead | None) -> str:
    """The greeting: the business's own or the default, by first name for a known caller."""
    greeting = business.greeting.strip() or default_greeting(business)
    first_name = caller_first_name(lead)
    if not first_name:
        return greeting
    return pgettext(
        "greeting a known caller: {name} Dana, {greeting} the business's greeting",
        "Hi {name}! {greeting}",
    ).format(name=first_name, greeting=greeting)


def caller_first_name(lead: Lead | None) -> str:
    name = " ".join((lead.name if lead else "").split())
    return name.split(" ")[0][:40] if name else ""


def hours_text(profile: BusinessProfile) -> str:
    """'Monday 9:00 AM to 5:00 PM; ...; Sunday closed.'"""
    by_day: dict[int, list[str]] = {day: [] for day in Weekday.values}
    for interval in profile.hours:
        by_day[interval.weekday].append(
            say_hours(interval.opens_at, interval.closes_at)
        )
    closed = gettext("closed")
    days = [
        f"{WEEKDAYS[day]} {say_list(spans) if spans else closed}"
        for day, spans in by_day.items()
    ]
    return "; ".join(days) + "."


def closures_text(profile: BusinessProfile) -> str:
    """'Closed Thursday, December 25 through Friday, December 26 (Holidays).'; "" if none."""
    parts = []
    for closure in profile.closures:
        span = say_day(closure.starts_on)
        if closure.ends_on != closure.starts_on:
            span = pgettext(
                "closed days: {first} Thursday, December 25, {last} Friday, December 26",
                "{first} through {last}",
            ).format(first=span, last=say_day(closure.ends_on))
        parts.append(f"{span} ({closure.reason})" if closure.reason else span)
    if not parts:
        return ""
    return gettext("Closed {days}.").format(days="; ".join(parts))


def service_line(service: Service) -> str:
    """'Haircut: 1 hour, $45, with Maria or Jess. A wash, cut and style.'"""
    facts = [say_duration(service.duration_minutes), say_price(service.price)]
    providers = getattr(service, "provider_names", [])
    if providers:
        facts.append(
            gettext("with {people}").format(
                people=say_list(providers, conjunction="or")
            )
        )
    line = f"{service.name}: {', '.join(f for f in facts if f)}."
    return f"{line} {service.description.strip()}" if service.description else line


def services_text(profile: BusinessProfile) -> str:
    if not profile.services:
        return gettext("No services are set up for booking yet.")
    return " ".join(service_line(service) for service in profile.services)


def contact_text(business: Business) -> str:
    parts = []
    if business.address:
        address = " ".join(business.address.split())
        parts.append(gettext("Address: {address}.").format(address=address))
    if business.phone:
        phone = say_phone(business.phone)
        parts.append(gettext("Phone: {phone}.").format(phone=phone))
    if business.website:
        parts.append(gettext("Website: {website}.").format(website=business.website))
    return " ".join(parts)


def system_prompt(
    profile: BusinessProfile,
    *,
    caller_number: str,
    lead: Lead | None,
    plan: "transfers.CallPlan | None" = None,
) -> str:
    """Roxy's system prompt for one call to this business; `plan` says whether it is
    open and who takes transfers (apps.roxy.transfers)."""
    sections = [
        _identity(profile),
        _languages(profile.business),
        consent.consent_rules(profile.business),
        _caller(caller_number, lead),
        _facts(profile),
        transfers.after_hours_rules(profile.business, open_now=plan.open_now)
        if plan
        else "",
        STYLE_RULES,
        _tool_rules(profile.business, plan),
    ]
    extra = profile.business.extra_instructions.strip()
    if extra:
        sections.append(f"## Extra instructions from {profile.business.name}\n{extra}")
    return "\n\n".join(section for section in sections if section)


def _identity(profile: BusinessProfile) -> str:
    now, name = profile.now, profile.business.name
    tomorrow = profile.today + dt.timedelta(days=1)
    return (
        f"You are {profile.business.assistant_name or 'Roxy'}, the AI phone "
        f"receptionist for {name}. You are on a live phone "
        "call: everything you write is spoken aloud.\n\n## Now\n"
        f"Today is {say_day(profile.today)}, {now.year}, and it is {say_clock(now)} "
        f"at {name} (time zone {profile.business.timezone}). Tomorrow is "
        f"{say_day(tomorrow)}. Use this business's local time for every date and time."
    )


def _languages(business: Business) -> str:
    """Which languages to speak. The instructions stay in English (what the model
    follows best); the facts above and below are written in the default language,
    and tool answers come in the caller's language (apps.roxy.languages)."""
    spoken = [LANGUAGE_NAMES.get(code, code) for code in business.spoken_languages()]
    default, others = spoken[0], spoken[1:]
    if not others:
        return (
            f"## Language\nSpeak {default} only. If the caller speaks another "
            f"language, say in {default} that you can only help in {default} and "
            "offer to take a message."
        )
    return (
        f"## Language\nGreet and start in {default}. You also speak "
        f"{' and '.join(others)}: always answer in the language the caller is "
        f"speaking, and switch as soon as they switch. For any other language, "
        f"say in {default} that you can help in {', '.join(spoken)}, and offer to "
        "take a message. Whatever you speak, pass dates and times to your tools as "
        "numbers (2025-03-15, 13:30) or in English words, and service names exactly "
        "as listed."
    )


def _caller(caller_number: str, lead: Lead | None) -> str:
    if not caller_number:
        return (
            "## The caller\nThe caller's number is hidden. Ask for a phone number "
            "before booking or taking a message. You cannot look up, move or cancel "
            "appointments on a hidden number."
        )
    text = (
        f"## The caller\nThe caller is phoning from {say_phone(caller_number)} "
        f"({caller_number}). Use it as their phone number unless they give another."
    )
    name = " ".join((lead.name if lead else "").split())[:120]
    if name:
        text += (
            f" This number belongs to a returning caller on file as {name}. Use their "
            "first name, but if they say they are someone else, believe them."
        )
    return text


def _facts(profile: BusinessProfile) -> str:
    business = profile.business
    lines = [f"## About {business.name}", contact_text(business)]
    lines.append(f"Opening hours: {hours_text(profile)}")
    closures = closures_text(profile)
    if closures:
        lines.append(f"Coming closures: {closures}")
    lines.append(
        f"Services (name: duration, price, who does it): {services_text(profile)}"
    )
    if business.policies.strip():
        lines.append(f"Policies:\n{business.policies.strip()}")
    if business.faq.strip():
        lines.append(f"Frequently asked questions:\n{business.faq.strip()}")
    return "\n".join(line for line in lines if line)


STYLE_RULES = """## How to speak
- Keep every reply short: one or two sentences, one question at a time.
- This is a phone call: no lists, markdown, emojis or URLs read letter by letter. Say times \
like "1:30 PM on Saturday, March 15" and prices like "45 dollars".
- Never invent availability, prices, policies or facts. Only offer times that \
check_availability returned, and only state what is written here or returned by a tool. \
If you don't know, say so and offer to take a message.
- Before booking, moving or cancelling anything, read the details back (service, day, \
time, person, the caller's name and phone number) and wait for a clear yes.
- Never read slot ids or appointment ids aloud; they are for your tools only.
- Only discuss the caller's own appointments. Never reveal anything about other customers.
- If a tool returns an error, explain it simply and offer the next best step."""


# Offered only while Roxy books (not when a closed business takes messages only).
BOOKING_TOOLS = (
    "check_availability",
    "book_appointment",
    "find_my_appointments",
    "reschedule_appointment",
    "cancel_appointment",
)


def _tool_rules(business: Business, plan: "transfers.CallPlan | None" = None) -> str:
    rules = [
        "## Your tools",
        "- check_availability: call it before offering any time. Pass the service, the "
        "day or range as the caller said it (for example 'tomorrow', 'next Tuesday', "
        "'this week'), and a person or part of the day if they have a preference. Offer "
        "two or three of the returned times.",
        "- book_appointment: once the caller picked a time and confirmed, pass its slot_id "
        "from check_availability with the service, their name and phone number (and email "
        "or notes if given). If the slot was just taken, offer the alternatives returned.",
        "- find_my_appointments: lists the caller's own upcoming appointments, found by the "
        "number they are calling from.",
        "- reschedule_appointment: moves one of those appointments to a new slot_id (check "
        "availability first). cancel_appointment: cancels one after the caller confirms.",
        "- capture_lead: when someone is interested but not booking now (a quote, a big "
        "event, a question for the owner), save their name, number, interest and notes.",
        "- take_message: when the caller wants someone to call them back, or asks for a "
        "person you cannot reach, record who, the callback number and the message.",
        "- get_business_info: hours, address, services, prices, policies or FAQ answers.",
        "- send_text: when the caller asks for something by text (the address and "
        "directions, the booking just made, the website). If it says the text can't be "
        "sent, tell the caller why and give the details by voice.",
        "- endCall: after saying goodbye, once the caller has nothing else.",
    ]
    if plan is not None and not plan.books:
        rules = [r for r in rules if not r.startswith(_BOOKING_RULE_STARTS)]
    if consent.tool_rule(business):
        rules.append(consent.tool_rule(business))
    if plan is not None and (plan.configured or not business.transfer_number):
        rules.append(transfers.transfer_rules(plan.destinations))
    elif business.transfer_number:
        rules.append(
            "- transferCall: when the caller insists on a person or has something you "
            "cannot handle. If the transfer is refused (for example outside opening hours), "
            "tell them and offer take_message instead."
        )
    return "\n".join(rules)


_BOOKING_RULE_STARTS = tuple(f"- {name}" for name in BOOKING_TOOLS)
