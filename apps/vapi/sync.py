"""Keeping VAPI in line with VoiceHive: where each business's phone numbers send calls.

What "points to our webhook with the right credential" means, per VAPI phone number on
file for a business (see PhoneNumberChange and desired_phone_number):

- `server.url` is VAPI_SERVER_URL. `assistant-request` only ever goes to the number's
  (or the org's) server URL, and later messages follow it unless an assistant says
  otherwise.
- `server.credentialId` is VAPI_CREDENTIAL_ID: the VAPI credential (bearer token or
  HMAC) holding the secret our webhook checks (VAPI_WEBHOOK_SECRET / VAPI_HMAC_SECRET).
- `server.timeoutSeconds` is VAPI_SERVER_TIMEOUT_SECONDS.
- `assistantId`, `squadId` and `workflowId` are cleared, so VAPI asks us with an
  `assistant-request` and Roxy answers as that business.
- `fallbackDestination` forwards to the business's transfer number, when it has one:
  VAPI uses it if our `assistant-request` answer fails, instead of hanging up.

The rest of `server` (headers, backoffPlan, static IPs) is kept as it is: the patch
sends the whole current `server` object with only those fields changed. Routing
fields are unset with JSON null: the spec types them as strings and documents no
other way to clear them (UNCONFIRMED against the live API; were VAPI to refuse, the
PATCH fails with VAPI's 400 message and that number is left unchanged).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from apps.businesses.models import Business, VapiPhoneNumber
from apps.core.phones import InvalidPhoneError, normalize_phone
from apps.vapi.client import JSON, VapiClient

logger = logging.getLogger(__name__)

ROUTING_FIELDS = ("assistantId", "squadId", "workflowId")


class VapiSyncError(Exception):
    """Our own settings do not allow pointing VAPI at us (e.g. no public webhook URL)."""


# --- Phone numbers ---


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.old)} -> {_show(self.new)}"


@dataclass(frozen=True)
class PhoneNumberChange:
    """How one VAPI phone number differs from what VoiceHive needs, and the patch fixing it."""

    phone_number: VapiPhoneNumber
    changes: tuple[FieldChange, ...]
    patch: JSON  # the PATCH /phone-number/{id} body; {} when VAPI is already right
    local_number: str = ""  # VAPI's E.164 number, when our row says otherwise

    @property
    def is_in_sync(self) -> bool:
        return not self.changes

    @property
    def title(self) -> str:
        number = self.phone_number
        shown = number.number or "(no number on file)"
        return f"{number.business.slug} {shown} [{number.vapi_phone_number_id}]"

    def describe(self) -> list[str]:
        """The diff as lines for a terminal: a title, then one indented line per field."""
        if self.is_in_sync:
            return [f"{self.title}: in sync"]
        return [f"{self.title}:", *(f"  {change}" for change in self.changes)]


@dataclass(frozen=True)
class NewPhoneNumber:
    """A free VAPI number to create for a business that has none on file."""

    business: Business
    body: JSON  # the POST /phone-number body

    def describe(self) -> list[str]:
        return [
            f"{self.business.slug}: no VAPI phone number on file:",
            f"  create a free VAPI number in area code "
            f"{self.body['numberDesiredAreaCode']} -> {self.body['server']['url']}",
        ]


def check_webhook_settings() -> None:
    """Raise VapiSyncError unless VAPI_SERVER_URL and VAPI_CREDENTIAL_ID are usable."""
    path = reverse("vapi:webhook")
    url = settings.VAPI_SERVER_URL
    if not url:
        raise VapiSyncError(
            f"VAPI_SERVER_URL is not set: set it to the public webhook URL, "
            f"https://<your host>{path}"
        )
    if not url.startswith("https://"):
        raise VapiSyncError(f"VAPI_SERVER_URL must be an https:// URL, not {url!r}.")
    if not settings.VAPI_CREDENTIAL_ID:
        raise VapiSyncError(
            "VAPI_CREDENTIAL_ID is not set: create a custom credential in VAPI holding "
            "VAPI_WEBHOOK_SECRET (bearer) or VAPI_HMAC_SECRET (HMAC) and set its id."
        )


def desired_phone_number(business: Business, current: JSON) -> JSON:
    """The fields VAPI's phone number must have for calls to reach this business's Roxy."""
    server = dict(current.get("server") or {})
    server.update(
        url=settings.VAPI_SERVER_URL,
        credentialId=settings.VAPI_CREDENTIAL_ID,
        timeoutSeconds=settings.VAPI_SERVER_TIMEOUT_SECONDS,
    )
    desired: JSON = {"server": server, **dict.fromkeys(ROUTING_FIELDS)}
    fallback = _fallback_destination(business)
    if fallback is not None:
        desired["fallbackDestination"] = fallback
    return desired


def plan_phone_number_sync(
    business: Business, *, client: VapiClient
) -> list[PhoneNumberChange]:
    """Compare each of the business's VAPI numbers with what it should be. Reads only."""
    check_webhook_settings()
    numbers = business.phone_numbers.select_related("business").order_by("pk")
    return [_plan_number(number, client=client) for number in numbers]


def apply_phone_number_sync(
    changes: Iterable[PhoneNumberChange], *, client: VapiClient
) -> list[PhoneNumberChange]:
    """PATCH each out-of-sync number on VAPI and refresh our copy of its digits.

    Returns the changes applied. Idempotent: planning again afterwards finds none.
    """
    applied = []
    for change in changes:
        if change.is_in_sync:
            continue
        number = change.phone_number
        if change.patch:
            client.update_phone_number(number.vapi_phone_number_id, change.patch)
        if change.local_number:
            number.number = change.local_number
            number.save(update_fields=["number", "updated_at"])
        logger.info("VAPI phone number %s synced", number.vapi_phone_number_id)
        applied.append(change)
    return applied


def plan_phone_number_creation(
    business: Business, *, area_code: str
) -> NewPhoneNumber | None:
    """A free VAPI number (US area code) set up for Roxy, if the business has no number."""
    check_webhook_settings()
    if business.phone_numbers.exists():
        return None
    body = {
        "provider": "vapi",
        "numberDesiredAreaCode": area_code,
        "name": business.name[:40],
        **{
            k: v for k, v in desired_phone_number(business, {}).items() if v is not None
        },
    }
    return NewPhoneNumber(business, body)


def create_phone_number(new: NewPhoneNumber, *, client: VapiClient) -> VapiPhoneNumber:
    """Create the number on VAPI and record it for the business. Each call makes a new one."""
    created = client.create_phone_number(new.body)
    number = VapiPhoneNumber.objects.create(
        business=new.business,
        vapi_phone_number_id=created["id"],
        number=_vapi_e164(created),
        label=created.get("name", "")[:80],
    )
    logger.info("VAPI phone number %s created", number.vapi_phone_number_id)
    return number


def _plan_number(number: VapiPhoneNumber, *, client: VapiClient) -> PhoneNumberChange:
    current = client.get_phone_number(number.vapi_phone_number_id)
    desired = desired_phone_number(number.business, current)
    changes, patch = _diff(current, desired)
    local_number = _vapi_e164(current)
    if local_number and local_number != number.number:
        changes.append(FieldChange("number on file", number.number, local_number))
    else:
        local_number = ""
    if patch and current.get("provider"):
        # The PATCH body is a oneOf per provider; naming it picks the right schema.
        patch = {"provider": current["provider"], **patch}
    return PhoneNumberChange(number, tuple(changes), patch, local_number)


def _diff(current: JSON, desired: JSON) -> tuple[list[FieldChange], JSON]:
    changes: list[FieldChange] = []
    patch: JSON = {}
    current_server = current.get("server") or {}
    for key, value in desired["server"].items():
        if current_server.get(key) != value:
            changes.append(FieldChange(f"server.{key}", current_server.get(key), value))
    if changes:
        patch["server"] = desired["server"]
    for key in ROUTING_FIELDS:
        if current.get(key):
            changes.append(FieldChange(key, current[key], None))
            patch[key] = None
    fallback = desired.get("fallbackDestination")
    if fallback is not None and not _same_destination(
        current.get("fallbackDestination"), fallback
    ):
        old = (current.get("fallbackDestination") or {}).get("number")
        changes.append(
            FieldChange("fallbackDestination.number", old, fallback["number"])
        )
        patch["fallbackDestination"] = fallback
    return changes, patch


def _fallback_destination(business: Business) -> JSON | None:
    if not business.transfer_number:
        return None
    try:
        number = normalize_phone(business.transfer_number)
    except InvalidPhoneError:
        return None
    return {"type": "number", "number": number}


def _same_destination(current: Any, desired: JSON) -> bool:
    if not isinstance(current, dict):
        return False
    return all(current.get(key) == value for key, value in desired.items())


def _vapi_e164(current: JSON) -> str:
    try:
        return normalize_phone(current.get("number") or "")
    except InvalidPhoneError:
        return ""  # SIP-only and BYO numbers may have no E.164 digits


def _show(value: Any) -> str:
    return "(unset)" if value is None or value == "" else repr(value)
