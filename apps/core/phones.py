"""Phone numbers in one canonical form (E.164), via Google's phonenumbers."""

import phonenumbers
from django.conf import settings


class InvalidPhoneError(ValueError):
    pass


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return `raw` as E.164 (+15125550187) or raise InvalidPhoneError."""
    try:
        parsed = phonenumbers.parse(raw, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneError(f"{raw!r} is not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneError(f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A human-friendly rendering for staff screens; unparseable input comes back as is."""
    try:
        parsed = phonenumbers.parse(e164, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    region_code = phonenumbers.region_code_for_number(parsed)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region_code == settings.PHONE_DEFAULT_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)
