"""OAuth 2.0 for Google Calendar and Microsoft 365: the connect (and reconnect) flow.

The authorization-code flow starts from the admin (`start_url`), and only a
manager of the business, or the provider whose calendar it is, may start it. The
`state` parameter is signed and names the user, business, provider and a nonce
kept in that user's session, so a callback forged from another browser or session
is refused (CSRF). PKCE (S256) binds the code to the browser that started the flow,
as RFC 9700 recommends even for confidential clients.

Grants are stored encrypted through `connection.store_credentials`; using them
(refresh, revoke) is apps/calendars/providers/tokens.py.
"""

import base64
import dataclasses
import hashlib
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse

from apps.businesses import tenancy
from apps.businesses.models import Business, Membership
from apps.calendars.models import CalendarConnection
from apps.calendars.providers import adapter_for
from apps.calendars.providers.base import ProviderError
from apps.calendars.providers.tokens import (
    GOOGLE_SCOPES,
    app_for,
    credentials_from,
    label,
    token_request,
)

KINDS = ("google", "microsoft")
SESSION_KEY = "calendars_oauth"
STATE_SALT = "apps.calendars.oauth.state"
STATE_MAX_AGE = 15 * 60  # seconds a person has to finish the provider's consent screen


class NotAllowed(Exception):
    """The user may not connect this calendar (`hidden`: it is not theirs to see)."""

    def __init__(self, message: str, *, hidden: bool = False):
        super().__init__(message)
        self.hidden = hidden


class OAuthFailed(Exception):
    """The flow could not finish; the message is shown to the person."""


def is_configured(kind: str) -> bool:
    """Whether connecting this kind can work here (client registered, SITE_URL set)."""
    if kind not in KINDS or not settings.SITE_URL:
        return False
    app = app_for(kind)
    return bool(app.client_id and app.client_secret)


def redirect_uri(kind: str) -> str:
    """The callback registered at Google / Microsoft: SITE_URL + our path."""
    path = reverse("calendars:oauth-callback", args=[kind])
    return settings.SITE_URL.rstrip("/") + path


def start_url(
    kind: str,
    business_id: int,
    provider_id: int | None = None,
    connection_id: int | None = None,
) -> str:
    """The admin's "Connect" (or "Reconnect", with `connection_id`) link."""
    query = {"business": business_id}
    if provider_id:
        query["provider"] = provider_id
    if connection_id:
        query["connection"] = connection_id
    return f"{reverse('calendars:oauth-start', args=[kind])}?{urlencode(query)}"


# --- who may connect ---


@dataclasses.dataclass(frozen=True)
class Target:
    business: Business
    provider: object | None  # appointments.Provider
    connection: CalendarConnection | None


def may_connect(user, business, provider) -> bool:
    """A manager of the business (operators too), or the provider's own login
    while it still holds a role there. A shared calendar needs a manager."""
    access = tenancy.access_for(user)
    if access.is_operator:
        return True
    role = access.role_in(business.pk)
    if role == Membership.Role.MANAGER:
        return True
    return role is not None and provider is not None and provider.user_id == user.pk


def resolve_target(user, kind, *, business_id, provider_id=None, connection_id=None):
    """The business/provider/connection a flow is for, checked against the user.

    Raises NotAllowed(hidden=True) for rows of a business the user has no role in
    (the view answers 404, as for a row that does not exist).
    """
    access = tenancy.access_for(user)
    business = Business.objects.filter(pk=_int(business_id)).first()
    if business is None or not (
        access.is_operator or access.role_in(business.pk) is not None
    ):
        raise NotAllowed("No such business.", hidden=True)
    connection = None
    if connection_id:
        connection = CalendarConnection.objects.filter(
            pk=_int(connection_id), business=business, kind=kind
        ).first()
        if connection is None:
            raise NotAllowed("No such calendar connection.", hidden=True)
        provider = connection.provider
    elif provider_id:
        # Through the relation: calendars sits below appointments (.importlinter).
        provider = business.providers.filter(pk=_int(provider_id)).first()
        if provider is None:
            raise NotAllowed("No such provider.", hidden=True)
    else:
        provider = None
    if not may_connect(user, business, provider):
        raise NotAllowed(
            "Only a manager of the business, or the provider themselves, may "
            "connect this calendar."
        )
    return Target(business, provider, connection)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the authorization-code flow ---


def begin(session, user, kind: str, target: Target) -> str:
    """Remember the flow in the session and return the provider's consent URL."""
    app = app_for(kind)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)
    flows = dict(session.get(SESSION_KEY) or {})
    # A few flows may be open in different tabs; keep only the newest ones.
    for old in sorted(flows, key=lambda n: flows[n]["at"])[:-4]:
        flows.pop(old)
    flows[nonce] = {"verifier": verifier, "at": time.time()}
    session[SESSION_KEY] = flows
    state = signing.dumps(
        {
            "n": nonce,
            "k": kind,
            "u": user.pk,
            "b": target.business.pk,
            "p": target.provider.pk if target.provider else None,
            "c": target.connection.pk if target.connection else None,
        },
        salt=STATE_SALT,
    )
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    params = {
        "client_id": app.client_id,
        "redirect_uri": redirect_uri(kind),
        "response_type": "code",
        "scope": " ".join(app.scopes),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **app.extra_params,
    }
    return f"{app.authorize_url}?{urlencode(params)}"


def read_state(session, user, kind: str, state: str) -> tuple[dict, str]:
    """Check the callback's state: signed by us, recent, for this user and kind, and
    opened in this session (its nonce is used up). Returns (claims, PKCE verifier)."""
    try:
        claims = signing.loads(state or "", salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired:
        raise OAuthFailed("The connection took too long; start again.") from None
    except signing.BadSignature:
        raise OAuthFailed("This link is not valid; start again.") from None
    flows = dict(session.get(SESSION_KEY) or {})
    flow = flows.pop(claims.get("n"), None)
    session[SESSION_KEY] = flows
    if flow is None or claims.get("u") != user.pk or claims.get("k") != kind:
        raise OAuthFailed(
            "This connection was started in another browser or session; start again."
        )
    return claims, flow["verifier"]


def exchange_code(kind: str, code: str, verifier: str) -> dict:
    """Trade the authorization code for tokens; returns the credentials dict."""
    app = app_for(kind)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(kind),
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "code_verifier": verifier,
    }
    if kind == "microsoft":
        data["scope"] = " ".join(app.scopes)
    try:
        payload = token_request(app, data)
    except ProviderError as exc:
        raise OAuthFailed(f"{label(kind)} did not accept the sign-in: {exc}") from None
    if not payload.get("refresh_token"):
        raise OAuthFailed(
            f"{label(kind)} gave no offline access; connect again and allow it."
        )
    if kind == "google":
        granted = set((payload.get("scope") or "").split())
        if granted and not set(GOOGLE_SCOPES) <= granted:
            raise OAuthFailed(
                "Allow VoiceHive to see and edit your calendar events: both "
                "calendar boxes must be ticked on Google's consent screen."
            )
    return credentials_from(payload, {})


# --- finishing a connection ---


def finish(session, user, kind: str, params) -> CalendarConnection:
    """The callback: check the state, then trade the code and store the grant.

    Raises OAuthFailed (shown to the person), NotAllowed, or ProviderError.
    """
    claims, verifier = read_state(session, user, kind, params.get("state", ""))
    if params.get("error") or not params.get("code"):
        raise OAuthFailed("access was not granted.")
    credentials = exchange_code(kind, params["code"], verifier)
    return complete(user, kind, claims, credentials)


def complete(user, kind: str, claims: dict, credentials: dict) -> CalendarConnection:
    """Store the grant on a new or reconnected connection and list its calendars.

    Re-checks who may connect (a role may have changed during the consent screen).
    A connection left with no calendar chosen gets the account's primary calendar
    as busy time and booking calendar; staff choose others on its admin page.
    """
    from apps.calendars import services  # services -> sync -> providers -> here

    target = resolve_target(
        user,
        kind,
        business_id=claims.get("b"),
        provider_id=claims.get("p"),
        connection_id=claims.get("c"),
    )
    adapter = adapter_for(kind)
    probe = CalendarConnection(
        business=target.business, provider=target.provider, kind=kind
    )
    probe.store_credentials(credentials)  # unsaved: only encrypts into .secret
    account = adapter.account_name(probe)
    remote = adapter.list_calendars(probe)
    connection = target.connection or _same_account(target, kind, account)
    if connection is not None and connection.account and connection.account != account:
        raise OAuthFailed(
            f"You signed in as {account}, but this connection is {connection.account}. "
            "Sign in with that account, or connect a new calendar."
        )
    with transaction.atomic():
        connection = connection or CalendarConnection(
            business=target.business, provider=target.provider, kind=kind
        )
        connection.account = account
        connection.secret = probe.secret
        connection.connected_by = user
        connection.status = CalendarConnection.Status.ACTIVE
        connection.last_error = ""
        connection.save()
        services.store_calendar_list(connection, remote, choose_defaults=False)
        if not connection.calendars.filter(
            Q(blocks_time=True) | Q(receives_bookings=True)
        ).exists():
            connection.calendars.filter(is_primary=True).update(
                blocks_time=True, receives_bookings=F("can_write")
            )
    services.activate(connection)
    return connection


def _same_account(target: Target, kind: str, account: str):
    """Connecting an account already on file reconnects that row (no duplicates)."""
    rows = CalendarConnection.objects.filter(
        business=target.business, provider=target.provider, kind=kind, account=account
    )
    live = rows.exclude(status=CalendarConnection.Status.DISCONNECTED).first()
    return live or rows.first()
