"""A business as its file: the same format `apply_business` reads, so the two
round-trip (export, apply: no changes)."""

from typing import Any

from apps.blueprints import fileformat as ff
from apps.businesses.models import Business


def export_business(business: Business) -> str:
    """The business file for `business` (YAML text). Reads only."""
    return ff.dump(as_data(business))


def as_data(business: Business) -> dict[str, Any]:
    data: dict[str, Any] = {"version": ff.VERSION, "slug": business.slug}
    data["profile"] = _fields(business, ff.PROFILE_FIELDS)
    data["roxy"] = _fields(business, ff.ROXY_FIELDS)
    data["rules"] = _fields(business, ff.RULE_FIELDS)
    data["hours"] = [
        {
            "day": ff.WEEKDAYS[h.weekday],
            "opens": _clock(h.opens_at),
            "closes": _clock(h.closes_at),
        }
        for h in business.opening_hours.order_by("weekday", "opens_at")
    ]
    data["closures"] = [
        {"from": c.starts_on, "to": c.ends_on, "reason": c.reason}
        for c in business.closures.order_by("starts_on")
    ]
    data["services"] = [
        {
            "name": s.name,
            "minutes": s.duration_minutes,
            "price": None if s.price is None else float(s.price),
            "buffer": s.buffer_minutes,
            "description": s.description,
            "active": s.is_active,
        }
        for s in business.services.order_by("name")
    ]
    data["providers"] = [
        {
            "name": p.name,
            "services": sorted(s.name for s in p.services.all()),
            "active": p.is_active,
        }
        for p in business.providers.prefetch_related("services").order_by("name")
    ]
    data["transfer_destinations"] = [_destination(d) for d in _destinations(business)]
    data["phone_numbers"] = [
        {"vapi_id": n.vapi_phone_number_id, "number": n.number, "label": n.label}
        for n in business.phone_numbers.order_by("pk")
    ]
    data["staff"] = [
        {"email": m.user.email, "role": m.role}
        for m in business.memberships.select_related("user").order_by("user__email")
        if m.user.email
    ]
    return data


def _fields(business: Business, names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(business, name)
        out[name] = _clock(value) if name.startswith("quiet_hours") else value
    return out


def _destinations(business: Business):
    return business.transfer_destinations.prefetch_related("custom_hours").order_by(
        "position", "name"
    )


def _destination(d) -> dict[str, Any]:
    item = {
        "name": d.name,
        "number": d.number,
        "purpose": d.purpose,
        "hours": d.hours,
        "mode": d.mode,
        "summary": d.summary_instructions,
        "active": d.is_active,
    }
    own = [
        {
            "day": ff.WEEKDAYS[h.weekday],
            "opens": _clock(h.opens_at),
            "closes": _clock(h.closes_at),
        }
        for h in d.custom_hours.all()
    ]
    if own:
        item["own_hours"] = own
    return item


def _clock(value) -> str:
    return f"{value:%H:%M}"
