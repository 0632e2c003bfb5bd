"""Using a calendar grant: OAuth apps, live access tokens, refresh and revoke.

Adapters call `send`, which refreshes the access token shortly before it expires
and once more on a 401; a refresh refused with invalid_grant (revoked, expired,
password changed) raises GrantRevoked, which the sync engine turns into "needs
reconnecting" for staff to see. Getting the grant in the first place is
apps/calendars/oauth.py.
"""

import dataclasses
import time

import httpx
from django.conf import settings

from apps.calendars.providers.base import GrantRevoked, ProviderError

REFRESH_MARGIN = 120  # refresh tokens this many seconds before they expire
# Errors at the token endpoint that only a person can fix by connecting again.
REVOKED_ERRORS = {"invalid_grant", "interaction_required", "consent_required"}

GOOGLE_SCOPES = (
    # Read every calendar's events (busy time) and the calendar list; write events.
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events",
)
MICROSOFT_SCOPES = ("offline_access", "User.Read", "Calendars.ReadWrite")


@dataclasses.dataclass(frozen=True)
class OAuthApp:
    kind: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    extra_params: dict


def app_for(kind: str) -> OAuthApp:
    if kind == "google":
        return OAuthApp(
            kind=kind,
            client_id=settings.GOOGLE_OAUTH_CLIENT_ID,
            client_secret=settings.GOOGLE_OAUTH_CLIENT_SECRET,
            authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
            token_url="https://oauth2.googleapis.com/token",
            scopes=GOOGLE_SCOPES,
            # offline + consent: Google returns a refresh token on every connect,
            # also when the account granted us access before.
            extra_params={"access_type": "offline", "prompt": "consent"},
        )
    if kind == "microsoft":
        base = (
            f"https://login.microsoftonline.com/{settings.MICROSOFT_TENANT}/oauth2/v2.0"
        )
        return OAuthApp(
            kind=kind,
            client_id=settings.MICROSOFT_CLIENT_ID,
            client_secret=settings.MICROSOFT_CLIENT_SECRET,
            authorize_url=f"{base}/authorize",
            token_url=f"{base}/token",
            scopes=MICROSOFT_SCOPES,
            extra_params={"response_mode": "query", "prompt": "select_account"},
        )
    raise ValueError(f"No OAuth flow for {kind!r}")


def access_token(connection, *, force: bool = False, timeout=None) -> str:
    """A live access token for `connection`, refreshed (and stored) when needed."""
    credentials = connection.credentials()
    token = credentials.get("access_token", "")
    expires_at = float(credentials.get("expires_at") or 0)
    if token and not force and expires_at - time.time() > REFRESH_MARGIN:
        return token
    return refresh(connection, credentials, timeout=timeout)["access_token"]


def refresh(connection, credentials: dict | None = None, *, timeout=None) -> dict:
    """Use the refresh token; store and return the new credentials.

    No row lock: two workers refreshing at once both get valid tokens (Google keeps
    the refresh token; Microsoft's rotated ones leave the old one valid), and the
    last write wins. A refused grant raises GrantRevoked.
    """
    credentials = credentials if credentials is not None else connection.credentials()
    if not credentials.get("refresh_token"):
        raise GrantRevoked(f"{label(connection.kind)} grant missing; reconnect.")
    app = app_for(connection.kind)
    data = {
        "grant_type": "refresh_token",
        "refresh_token": credentials["refresh_token"],
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    if connection.kind == "microsoft":
        data["scope"] = " ".join(app.scopes)
    fresh = credentials_from(token_request(app, data, timeout=timeout), credentials)
    connection.store_credentials(fresh)
    return fresh


def send(
    connection, method: str, url: str, *, timeout=None, **kwargs
) -> httpx.Response:
    """One API request with the connection's token: refreshes before it expires and
    once more on a 401; a second 401 means the grant no longer works. `timeout`
    bounds the refresh too (Roxy's just-in-time check has about a second)."""
    timeout = timeout or settings.CALENDAR_HTTP_TIMEOUT_SECONDS
    token = access_token(connection, timeout=timeout)
    response = _http(method, url, token, timeout, kwargs)
    if response.status_code == 401:
        token = access_token(connection, force=True, timeout=timeout)
        response = _http(method, url, token, timeout, kwargs)
        if response.status_code == 401:
            raise GrantRevoked(
                f"{label(connection.kind)} refused the refreshed token (401).",
                status=401,
            )
    return response


def _http(method, url, token, timeout, kwargs) -> httpx.Response:
    headers = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
    rest = {k: v for k, v in kwargs.items() if k != "headers"}
    try:
        return httpx.request(method, url, headers=headers, timeout=timeout, **rest)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"{url} timed out", transient=True) from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"{url} unreachable: {exc}", transient=True) from exc


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds; an HTTP date is rare here)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None


def revoke_google(connection) -> None:
    """Give a Google grant back (https://oauth2.googleapis.com/revoke)."""
    credentials = connection.credentials()
    token = credentials.get("refresh_token") or credentials.get("access_token")
    if not token:
        return
    try:
        response = httpx.post(
            "https://oauth2.googleapis.com/revoke",
            data={"token": token},
            timeout=settings.CALENDAR_HTTP_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise ProviderError(f"Google revoke failed: {exc}", transient=True) from exc
    # 400 invalid_token: already revoked or expired, which is what we wanted.
    if response.status_code not in (200, 400):
        raise ProviderError(
            f"Google revoke answered {response.status_code}",
            transient=response.status_code >= 500,
            status=response.status_code,
        )


def token_request(app: OAuthApp, data: dict, *, timeout=None) -> dict:
    try:
        response = httpx.post(
            app.token_url,
            data=data,
            headers={"Accept": "application/json"},
            timeout=timeout or settings.CALENDAR_HTTP_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        raise ProviderError(
            f"{label(app.kind)} token endpoint unreachable: {exc}", transient=True
        ) from exc
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code == 200 and payload.get("access_token"):
        return payload
    error = payload.get("error", "") if isinstance(payload, dict) else ""
    # Only the error code: descriptions can echo request details into logs.
    message = f"{label(app.kind)} token endpoint: {error or response.status_code}"
    if error in REVOKED_ERRORS:
        raise GrantRevoked(message, status=response.status_code)
    if response.status_code == 429 or response.status_code >= 500:
        raise ProviderError(
            message,
            transient=True,
            retry_after=retry_after(response),
            status=response.status_code,
        )
    if error == "invalid_client":
        message += " (check the client id and secret in the settings)"
    raise ProviderError(message, status=response.status_code)


def credentials_from(payload: dict, previous: dict) -> dict:
    return {
        "access_token": payload["access_token"],
        # Google sends no new refresh token on refresh: keep the one we have.
        "refresh_token": payload.get("refresh_token") or previous.get("refresh_token"),
        "expires_at": time.time() + float(payload.get("expires_in") or 3600),
        "scope": payload.get("scope") or previous.get("scope", ""),
    }


def label(kind: str) -> str:
    return {"google": "Google", "microsoft": "Microsoft"}.get(kind, kind)
