"""VAPI's side of the setup: deploy checks of its settings, and doctor's probes of VAPI itself."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.db.models import Count
from django.http.request import validate_host
from django.urls import reverse

from apps.businesses.models import Business
from apps.core import probes
from apps.vapi import sync as vapi_sync
from apps.vapi.client import VapiApiError, VapiClient

# Shorter shared secrets can be guessed by anyone who can reach the webhook.
MIN_SECRET_LENGTH = 24


@checks.register(deploy=True)
def check_webhook_secret(**kwargs) -> list[checks.CheckMessage]:
    """The webhook has a secret to accept VAPI with, long enough not to be guessed."""
    secrets = [
        s for s in (settings.VAPI_WEBHOOK_SECRET, settings.VAPI_HMAC_SECRET) if s
    ]
    if not secrets:
        return [
            checks.Error(
                "Neither VAPI_WEBHOOK_SECRET nor VAPI_HMAC_SECRET is set: the webhook "
                "refuses every VAPI request.",
                hint="Set VAPI_WEBHOOK_SECRET to a long random string (e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and "
                "put the same value in the VAPI credential.",
                id="vapi.E001",
            )
        ]
    if min(len(secret) for secret in secrets) < MIN_SECRET_LENGTH:
        return [
            checks.Warning(
                f"A webhook secret is shorter than {MIN_SECRET_LENGTH} characters.",
                hint="Use a longer random secret (and update the VAPI credential).",
                id="vapi.W001",
            )
        ]
    return []


@checks.register(deploy=True)
def check_server_url(**kwargs) -> list[checks.CheckMessage]:
    """VAPI_SERVER_URL is this webhook's public https URL, on an allowed host."""
    path = reverse("vapi:webhook")
    url = settings.VAPI_SERVER_URL
    parts = urlsplit(url)
    if not url:
        problem = "VAPI_SERVER_URL is not set: VAPI does not know where to send calls."
    elif parts.scheme != "https" or not parts.hostname:
        problem = f"VAPI_SERVER_URL {url!r} is not an https:// URL."
    elif parts.path != path:
        problem = (
            f"VAPI_SERVER_URL ends in {parts.path!r}, not our webhook path {path!r}."
        )
    elif not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        return [
            checks.Error(
                f"{parts.hostname} is not in ALLOWED_HOSTS: Django answers VAPI with "
                "400.",
                hint=f"Add {parts.hostname} to ALLOWED_HOSTS.",
                id="vapi.E003",
            )
        ]
    else:
        return []
    host = parts.hostname or "<your public host>"
    hint = f"Set VAPI_SERVER_URL=https://{host}{path}"
    return [checks.Error(problem, hint=hint, id="vapi.E002")]


@checks.register(deploy=True)
def check_credential(**kwargs) -> list[checks.CheckMessage]:
    """VAPI has a credential to present our secret with."""
    if settings.VAPI_CREDENTIAL_ID:
        return []
    return [
        checks.Error(
            "VAPI_CREDENTIAL_ID is not set: VAPI would call the webhook without our "
            "secret, and be refused.",
            hint="In VAPI, create a custom credential (bearer token = "
            "VAPI_WEBHOOK_SECRET, or HMAC with VAPI_HMAC_SECRET) and set "
            "VAPI_CREDENTIAL_ID to its id.",
            id="vapi.E004",
        )
    ]


@checks.register(deploy=True)
def check_api_key_set(**kwargs) -> list[checks.CheckMessage]:
    """Operator commands and deletion at VAPI have an API key."""
    if settings.VAPI_API_KEY:
        return []
    return [
        checks.Error(
            "VAPI_API_KEY is not set: phone numbers cannot be synced and lost "
            "end-of-call reports cannot be recovered.",
            hint="Copy the private API key from the VAPI dashboard into VAPI_API_KEY.",
            id="vapi.E005",
        )
    ]


@probes.register(probes.NETWORK)
def check_api_key_accepted(**kwargs) -> list[checks.CheckMessage]:
    """VAPI accepts the API key."""
    if not settings.VAPI_API_KEY:
        return []  # vapi.E005 says so
    try:
        with VapiClient.from_settings() as client:
            numbers = client.list_phone_numbers(limit=1)
    except VapiApiError as exc:
        hint = (
            "Check VAPI_API_KEY: it must be the private key, not the public one."
            if exc.status_code in (401, 403)
            else "Check VAPI_API_URL and the network, then try again."
        )
        return [checks.Error(f"VAPI API key: {exc}", hint=hint, id="vapi.E006")]
    seen = f"{len(numbers)} number(s) seen"
    return [
        checks.Info(
            f"VAPI API key: accepted by {settings.VAPI_API_URL} ({seen})",
            id="vapi.I006",
        )
    ]


@probes.register(probes.DATABASE)
def check_numbers_on_file(**kwargs) -> list[checks.CheckMessage]:
    """Each active business has a VAPI phone number on file."""
    businesses = Business.objects.active().annotate(numbers=Count("phone_numbers"))
    return [_numbers_on_file(business) for business in businesses.order_by("slug")]


def _numbers_on_file(business: Business) -> checks.CheckMessage:
    if business.numbers:
        return checks.Info(
            f"phone numbers: {business.numbers} on file",
            obj=business.slug,
            id="vapi.I007",
        )
    return checks.Error(
        "phone numbers: No VAPI phone number on file: no call can reach this business.",
        hint="Add the VAPI phone number id in the admin (Businesses > VAPI phone "
        "numbers).",
        obj=business.slug,
        id="vapi.E007",
    )


@probes.register(probes.DATABASE, probes.NETWORK)
def check_numbers_at_vapi(**kwargs) -> list[checks.CheckMessage]:
    """VAPI routes each active business's numbers to this webhook."""
    if not settings.VAPI_API_KEY:
        return []  # vapi.E005 says so
    try:
        vapi_sync.check_webhook_settings()
    except vapi_sync.VapiSyncError:
        return []  # vapi.E002 or vapi.E004 says what is wrong
    businesses = Business.objects.active().filter(phone_numbers__isnull=False)
    messages = []
    with VapiClient.from_settings() as client:
        for business in businesses.distinct().order_by("slug"):
            try:
                changes = vapi_sync.plan_phone_number_sync(business, client=client)
            except VapiApiError as exc:
                messages.append(
                    checks.Error(
                        f"phone numbers at VAPI: {exc}",
                        hint="Fix the id in the admin, or the VAPI settings above.",
                        obj=business.slug,
                        id="vapi.E009",
                    )
                )
                if exc.status_code == 404:
                    continue  # only this number is wrong: check the others
                break  # a refused key or an outage: the others would fail alike
            messages.append(_routing(business, changes))
    return messages


def _routing(
    business: Business, changes: list[vapi_sync.PhoneNumberChange]
) -> checks.CheckMessage:
    drifted = [change for change in changes if not change.is_in_sync]
    if not drifted:
        return checks.Info(
            f"phone numbers at VAPI: {len(changes)} of {len(changes)} pointing at "
            "VoiceHive",
            obj=business.slug,
            id="vapi.I008",
        )
    lines = "; ".join(
        f"{c.title}: " + ", ".join(str(f) for f in c.changes) for c in drifted
    )
    return checks.Error(
        f"phone numbers at VAPI: {len(drifted)} of {len(changes)} not pointing at "
        f"VoiceHive: {lines}",
        hint=f"Run: python manage.py sync_vapi_assistant --business {business.slug}",
        obj=business.slug,
        id="vapi.E008",
    )
