"""Phone numbers in one canonical form (E.164), via Google's phonenumbers, and as
staff read and dial them."""

import phonenumbers
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString

# Number types a text message can reach. North American numbers don't say whether
# they are mobiles (FIXED_LINE_OR_MOBILE), so they count; a known landline doesn't.
TEXTABLE = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


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


def e164_or_blank(raw: str) -> str:
    """`raw` as E.164, or "" when it is empty, hidden or not a phone number."""
    try:
        return normalize_phone(raw) if raw else ""
    except InvalidPhoneError:
        return ""


def e164_or_raw(raw: str) -> str:
    """`raw` as E.164, or as given when it is not a phone number (VAPI then says why)."""
    try:
        return normalize_phone(raw)
    except InvalidPhoneError:
        return raw


def format_phone(e164: str, *, region: str | None = None) -> str:
    """A human-friendly rendering for staff screens: national for a number of `region`
    (default PHONE_DEFAULT_REGION), international otherwise; unparseable input comes
    back as is."""
    region = region or settings.PHONE_DEFAULT_REGION
    try:
        parsed = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(parsed) == region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


def home_region(business) -> str:
    """The country a business's staff read numbers in: that of its own public number,
    else of its transfer number, else PHONE_DEFAULT_REGION (a Business has no country)."""
    for number in (business.phone, business.transfer_number) if business else ():
        region = _region_of(number)
        if region:
            return region
    return settings.PHONE_DEFAULT_REGION


def can_text(e164: str) -> bool:
    """Whether the number can take a text message (a mobile, or may be one)."""
    parsed = _parse(e164)
    return parsed is not None and phonenumbers.number_type(parsed) in TEXTABLE


def phone_link(number: str, business=None, *, texting: bool = True) -> SafeString:
    """The number formatted for `business`'s country as a tel: link, with an sms: link
    beside it when `texting` and the number takes texts; plain text if not a number."""
    if not number:
        return format_html("{}", "—")
    parsed = _parse(number)
    if parsed is None:
        return format_html("{}", number)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    shown = format_phone(e164, region=home_region(business))
    call = format_html('<a class="vh-phone" href="tel:{}">{}</a>', e164, shown)
    if not (texting and can_text(e164)):
        return call
    return format_html(
        '{} <a class="vh-sms" href="sms:{}" title="Text {}">Text</a>', call, e164, shown
    )


def _parse(number: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(number, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def _region_of(number: str) -> str | None:
    parsed = _parse(number) if number else None
    region = phonenumbers.region_code_for_number(parsed) if parsed else None
    # "001" is phonenumbers' code for numbers of no country (satellite, UIFN).
    return region if region and region != "001" else None
