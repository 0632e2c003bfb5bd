"""Bring a business to what its file says, changing only what differs.

The file is the truth for each section it has; a section left out is left alone.
Within a section: opening hours, closures, transfer destinations and VAPI numbers
not in the file are removed; services and providers not in the file are switched
off (past appointments still name them); staff are only ever invited, never removed
(`manage.py` is no place to take someone's access away silently).
Every change is described first; `apply(..., dry_run=True)` stops there.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.appointments.models import Provider, Service
from apps.blueprints import fileformat as ff
from apps.businesses.models import (
    Business,
    Closure,
    Membership,
    OpeningHours,
    TransferDestination,
    TransferHours,
    VapiPhoneNumber,
)
from apps.staff import services as staff_services


@dataclass
class Plan:
    business: Business
    created: bool
    changes: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.changes.append(line)


class _DryRun(Exception):
    pass


class _Operator:
    """Who the invitation email says invited them: nobody with a login did."""

    email = ""

    def get_full_name(self) -> str:
        return "The VoiceHive team"

    def get_username(self) -> str:
        return "voicehive"


OPERATOR = _Operator()


def apply_file(text: str, *, dry_run: bool = False) -> Plan:
    """Validate the file and apply it (or, with dry_run, only describe the changes).
    Idempotent: a second run finds no changes. Raises fileformat.BlueprintError."""
    data = ff.load(text)
    try:
        with transaction.atomic():
            plan = _apply(data)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return plan


def _apply(data: dict[str, Any]) -> Plan:
    business = Business.objects.filter(slug=data["slug"]).first()
    created = business is None
    if created:
        business = Business(slug=data["slug"], name=data["slug"])
    plan = Plan(business=business, created=created)
    if created:
        plan.note(f"+ business {data['slug']}")
    _fields(plan, data)
    for section, step in SECTIONS:
        if section in data:
            step(plan, data[section] or [])
    return plan


def _fields(plan: Plan, data: dict[str, Any]) -> None:
    business = plan.business
    for section in ("profile", "roxy", "rules"):
        values = data.get(section) or {}
        for name, value in values.items():
            if name.startswith("_"):
                continue  # the parser's own keys (line numbers)
            if name.startswith("quiet_hours"):
                value = ff.clock(value)
            if value is None:
                value = ""
            if getattr(business, name) != value:
                plan.note(f"~ {name}: {getattr(business, name)!r} -> {value!r}")
                setattr(business, name, value)
    try:
        business.full_clean()
    except ValidationError as exc:
        lines = {
            **_lines(data, "profile"),
            **_lines(data, "roxy"),
            **_lines(data, "rules"),
        }
        raise ff.BlueprintError(
            [
                f"line {lines.get(name, 1)}: {name}: {' '.join(messages)}"
                for name, messages in exc.message_dict.items()
            ]
        ) from exc
    business.save()


def _lines(data: dict[str, Any], section: str) -> dict[str, int]:
    return (data.get(section) or {}).get("_lines", {})


def _hours(plan: Plan, items: list[dict]) -> None:
    wanted = {
        (ff.weekday(i["day"]), ff.clock(i["opens"]), ff.clock(i["closes"]))
        for i in items
    }
    rows = plan.business.opening_hours.all()
    have = {(r.weekday, r.opens_at, r.closes_at): r for r in rows}
    for key in sorted(set(have) - wanted):
        plan.note(f"- hours {_span(key)}")
        have[key].delete()
    for key in sorted(wanted - set(have)):
        plan.note(f"+ hours {_span(key)}")
        OpeningHours.objects.create(
            business=plan.business, weekday=key[0], opens_at=key[1], closes_at=key[2]
        )


def _closures(plan: Plan, items: list[dict]) -> None:
    wanted = {
        (i["from"], i.get("to") or i["from"], i.get("reason") or "") for i in items
    }
    rows = plan.business.closures.all()
    have = {(r.starts_on, r.ends_on, r.reason): r for r in rows}
    for key in sorted(set(have) - wanted):
        plan.note(f"- closure {key[0]}..{key[1]} {key[2]}".rstrip())
        have[key].delete()
    for key in sorted(wanted - set(have)):
        plan.note(f"+ closure {key[0]}..{key[1]} {key[2]}".rstrip())
        Closure.objects.create(
            business=plan.business, starts_on=key[0], ends_on=key[1], reason=key[2]
        )


def _services(plan: Plan, items: list[dict]) -> None:
    business = plan.business
    existing = {s.name: s for s in business.services.all()}
    for item in items:
        values = {
            "duration_minutes": item["minutes"],
            "price": None if item.get("price") is None else Decimal(str(item["price"])),
            "buffer_minutes": item.get("buffer", business.default_buffer_minutes),
            "description": item.get("description") or "",
            "is_active": item.get("active", True),
        }
        _upsert(
            plan,
            "service",
            existing.get(item["name"]),
            values,
            Service,
            business=business,
            name=item["name"],
        )
    _switch_off(plan, "service", existing, {i["name"] for i in items})


def _providers(plan: Plan, items: list[dict]) -> None:
    business = plan.business
    existing = {p.name: p for p in business.providers.prefetch_related("services")}
    services = {s.name: s for s in business.services.all()}
    for item in items:
        provider = _upsert(
            plan,
            "provider",
            existing.get(item["name"]),
            {"is_active": item.get("active", True)},
            Provider,
            business=business,
            name=item["name"],
        )
        names = item.get("services")
        wanted = set(services) if names in (None, "all") else set(names)
        unknown = wanted - set(services)
        if unknown:
            raise ff.BlueprintError(
                [
                    f"line {item['_lines'].get('services', item['_line'])}: provider "
                    f"{item['name']}: no service named {', '.join(sorted(unknown))}"
                ]
            )
        have = {s.name for s in provider.services.all()}
        if have != wanted:
            plan.note(f"~ provider {item['name']} services: {sorted(wanted)}")
            provider.services.set([services[n] for n in wanted])
    _switch_off(plan, "provider", existing, {i["name"] for i in items})


def _destinations(plan: Plan, items: list[dict]) -> None:
    business = plan.business
    existing = {d.name: d for d in business.transfer_destinations.all()}
    for position, item in enumerate(items):
        values = {
            "number": item["number"],
            "purpose": item["purpose"],
            "hours": item.get("hours", TransferDestination.Hours.OPENING),
            "mode": item.get("mode", TransferDestination.Mode.BLIND),
            "summary_instructions": item.get("summary") or "",
            "position": position,
            "is_active": item.get("active", True),
        }
        own = {
            (ff.weekday(h["day"]), ff.clock(h["opens"]), ff.clock(h["closes"]))
            for h in item.get("own_hours") or []
        }
        if own:
            values["hours"] = TransferDestination.Hours.CUSTOM
        row = _upsert(
            plan,
            "transfer destination",
            existing.get(item["name"]),
            values,
            TransferDestination,
            business=business,
            name=item["name"],
        )
        have = {(h.weekday, h.opens_at, h.closes_at) for h in row.custom_hours.all()}
        if have != own:
            plan.note(f"~ transfer destination {row.name} hours")
            row.custom_hours.all().delete()
            for day, opens, closes in sorted(own):
                TransferHours.objects.create(
                    destination=row, weekday=day, opens_at=opens, closes_at=closes
                )
    for name in sorted(set(existing) - {i["name"] for i in items}):
        plan.note(f"- transfer destination {name}")
        existing[name].delete()


def _numbers(plan: Plan, items: list[dict]) -> None:
    business = plan.business
    existing = {n.vapi_phone_number_id: n for n in business.phone_numbers.all()}
    for item in items:
        values = {"number": item.get("number") or "", "label": item.get("label") or ""}
        taken = VapiPhoneNumber.objects.filter(
            vapi_phone_number_id=item["vapi_id"]
        ).exclude(business=business)
        if taken.exists():
            raise ff.BlueprintError(
                [
                    f"line {item['_line']}: VAPI number {item['vapi_id']} belongs to "
                    "another business"
                ]
            )
        _upsert(
            plan,
            "VAPI number",
            existing.get(item["vapi_id"]),
            values,
            VapiPhoneNumber,
            business=business,
            vapi_phone_number_id=item["vapi_id"],
        )
    for vapi_id in sorted(set(existing) - {i["vapi_id"] for i in items}):
        plan.note(f"- VAPI number {vapi_id}")
        existing[vapi_id].delete()


def _staff(plan: Plan, items: list[dict]) -> None:
    business = plan.business
    members = {
        m.user.email.lower(): m for m in business.memberships.select_related("user")
    }
    for item in items:
        email, role = item["email"].strip().lower(), item["role"]
        if role not in Membership.Role.values:
            raise ff.BlueprintError(
                [
                    f"line {item['_lines']['role']}: role must be one of "
                    f"{', '.join(Membership.Role.values)}"
                ]
            )
        member = members.get(email)
        if member is None:
            plan.note(f"+ staff {email} ({role}), invited by email")
            try:
                staff_services.invite_staff_member(
                    business, email=email, role=role, invited_by=OPERATOR
                )
            except staff_services.StaffInviteError as exc:
                raise ff.BlueprintError([f"line {item['_line']}: {exc}"]) from exc
        elif member.role != role:
            plan.note(f"~ staff {email}: {member.role} -> {role}")
            member.role = role
            member.save(update_fields=["role", "updated_at"])


def _upsert(plan: Plan, what: str, row, values: dict, model, **identity):
    if row is None:
        plan.note(f"+ {what} {list(identity.values())[-1]}")
        return model.objects.create(**identity, **values)
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        label = list(identity.values())[-1]
        plan.note(f"~ {what} {label}: {', '.join(changed)}")
        for name in changed:
            setattr(row, name, values[name])
        row.save()
    return row


def _switch_off(plan: Plan, what: str, existing: dict, kept: set[str]) -> None:
    for name in sorted(set(existing) - kept):
        row = existing[name]
        if row.is_active:
            plan.note(f"~ {what} {name}: switched off (not in the file)")
            row.is_active = False
            row.save()


def _span(key: tuple[int, dt.time, dt.time]) -> str:
    return f"{ff.WEEKDAYS[key[0]]} {key[1]:%H:%M}-{key[2]:%H:%M}"


SECTIONS = (
    ("hours", _hours),
    ("closures", _closures),
    ("services", _services),
    ("providers", _providers),
    ("transfer_destinations", _destinations),
    ("phone_numbers", _numbers),
    ("staff", _staff),
)
