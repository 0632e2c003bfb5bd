"""Slot ids: the short, signed reference to a free time that Roxy and staff book by.

Signed with SECRET_KEY (and its fallbacks, so a key rotation does not break slots
offered just before it), so a caller cannot book a time nobody offered.
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.utils.crypto import constant_time_compare

SLOT_SALT = "apps.appointments.slot"
SLOT_SIGNATURE_LENGTH = 16  # 96 bits of HMAC-SHA256: unguessable, still short


class InvalidSlotError(ValueError):
    """A slot id that we did not issue, or that was altered."""


@dataclass(frozen=True)
class SlotRef:
    service_id: int
    provider_id: int
    start_at: dt.datetime


@dataclass(frozen=True)
class Slot:
    service_id: int
    provider_id: int
    provider_name: str
    start_at: dt.datetime
    end_at: dt.datetime

    @property
    def slot_id(self) -> str:
        """An opaque, signed reference that `parse_slot_id` turns back into a SlotRef."""
        minutes = int(self.start_at.timestamp()) // 60
        body = "-".join(
            signing.b62_encode(n) for n in (self.service_id, self.provider_id, minutes)
        )
        return f"{body}.{_signature(body)}"


def parse_slot_id(slot_id: str) -> SlotRef:
    """Verify and decode a slot id; raise InvalidSlotError if it is not one of ours."""
    body, _, signature = str(slot_id).strip().rpartition(".")
    if not body or not _signature_matches(body, signature):
        raise InvalidSlotError(
            "That time slot reference isn't valid. Please check availability again."
        )
    service_id, provider_id, minutes = map(signing.b62_decode, body.split("-"))
    start_at = dt.datetime.fromtimestamp(minutes * 60, tz=dt.UTC)
    return SlotRef(service_id=service_id, provider_id=provider_id, start_at=start_at)


def _signature(body: str, key=None) -> str:
    signer = signing.Signer(salt=SLOT_SALT)
    return signer.signature(body, key=key)[:SLOT_SIGNATURE_LENGTH]


def _signature_matches(body: str, signature: str) -> bool:
    if len(body.split("-")) != 3 or not all(
        part.isalnum() and part.isascii() for part in body.split("-")
    ):
        return False
    signer = signing.Signer(salt=SLOT_SALT)
    return any(
        constant_time_compare(signature, _signature(body, key))
        for key in [signer.key, *signer.fallback_keys]
    )
