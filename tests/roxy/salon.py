"""A salon for Roxy to answer calls for, and VAPI payloads to call her with.

The salon and the moment match the example call in tests/vapi/payloads:
Maison Belle in Austin, Friday, March 14, 2025 at 10:15 AM local time.
"""

import copy
import datetime as dt
import zoneinfo
from types import SimpleNamespace
from typing import Any

from apps.vapi import protocol
from tests.appointments.factories import ProviderFactory, ServiceFactory
from tests.businesses.factories import (
    BusinessFactory,
    OpeningHoursFactory,
    VapiPhoneNumberFactory,
)
from tests.vapi.payloads import load_payload

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NOW = dt.datetime(2025, 3, 14, 10, 15, tzinfo=CHICAGO)
SATURDAY = dt.date(2025, 3, 15)
CALLER = "+15125550187"
SALON_LINE = "+15125550142"


def build_salon(*, with_line: bool = True, **business_fields) -> SimpleNamespace:
    """Open Monday to Saturday 9 to 5; Maria and Jess do every service.

    `with_line` gives it the example's VAPI number (only one business can have it).
    """
    fields = {
        "name": "Maison Belle Hair Studio",
        "slug": "maison-belle-austin",
        "timezone": "America/Chicago",
        "transfer_number": "+15125550100",
    } | business_fields
    business = BusinessFactory(**fields)
    if with_line:
        VapiPhoneNumberFactory(
            business=business,
            vapi_phone_number_id="3f8e2d1c-7b6a-4c5d-8e9f-0a1b2c3d4e5f",
            number=SALON_LINE,
        )
    for weekday in range(6):
        OpeningHoursFactory(
            business=business,
            weekday=weekday,
            opens_at=dt.time(9),
            closes_at=dt.time(17),
        )
    haircut = ServiceFactory(
        business=business, name="Haircut", duration_minutes=60, price=45
    )
    color = ServiceFactory(
        business=business, name="Haircut and color", duration_minutes=150, price=160
    )
    blowout = ServiceFactory(
        business=business, name="Blowout", duration_minutes=45, price="42.50"
    )
    services = [haircut, color, blowout]
    maria = ProviderFactory(business=business, name="Maria", services=services)
    jess = ProviderFactory(business=business, name="Jess", services=services)
    return SimpleNamespace(
        business=business,
        haircut=haircut,
        color=color,
        blowout=blowout,
        maria=maria,
        jess=jess,
    )


def tool_calls_payload(
    *calls: tuple[str, dict[str, Any]],
    ids: list[str] | None = None,
    caller: str | None = CALLER,
) -> dict[str, Any]:
    """The example tool-calls message with these (name, arguments) calls instead."""
    payload = copy.deepcopy(load_payload("04-tool-calls-check-availability"))
    message = payload["message"]
    ids = ids or [f"call_test_{i}" for i in range(len(calls))]
    message["toolCallList"] = [
        {"id": id_, "type": "function", "function": {"name": name, "arguments": args}}
        for id_, (name, args) in zip(ids, calls, strict=True)
    ]
    message["toolWithToolCallList"] = []
    if caller is None:
        message.pop("customer", None)
        message["call"].pop("customer", None)
    else:
        message["customer"] = {"number": caller}
        message["call"]["customer"] = {"number": caller}
    return payload


def parse_tool_calls(
    *calls: tuple[str, dict[str, Any]], **kwargs
) -> protocol.VapiMessage:
    return protocol.parse(tool_calls_payload(*calls, **kwargs))
