"""A small typed client for VAPI's REST API (phone numbers and calls), over httpx.

Used by operator commands and by the worker that deletes VAPI's copy of erased
calls; the webhook never calls VAPI. Paths and shapes follow VAPI's published
OpenAPI definition (https://docs.vapi.ai/api-reference; the schemas we rely on are
kept in tests/vapi/payloads/vapi_api/openapi.json). The API key is a bearer token:
it is sent in the Authorization header and appears in no message, repr or log line.
"""

import datetime as dt
import logging
from typing import Any, Self
from urllib.parse import quote

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

JSON = dict[str, Any]

# The spec caps `limit` at 1000 on every list endpoint and defaults it to 100.
MAX_PAGE_SIZE = 1000
# A window this short that still fills a page cannot be split any further.
_SMALLEST_WINDOW = dt.timedelta(milliseconds=1)


# Worth trying again later, as is any 5xx (VAPI's DELETE /call/{id} answers 503
# when it could not erase the recordings yet): a time-out or rate limiting.
_TRANSIENT_STATUSES = frozenset({408, 429})


class VapiApiError(Exception):
    """A VAPI API request failed; status_code is None when no HTTP answer came back.

    transient: the same request may succeed later (no answer, 408, 429 or 5xx);
    otherwise it fails the same way until something changes (the key, the request).
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, transient: bool = False
    ):
        super().__init__(message)
        self.status_code = status_code
        self.transient = transient


class VapiClient:
    """VAPI's REST API: the phone numbers and calls of the org owning the API key."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://api.vapi.ai",
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        if not api_key:
            raise VapiApiError(
                "VAPI_API_KEY is not set: copy the private API key from the VAPI "
                "dashboard (Organization > API Keys) into the environment."
            )
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
            },
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def from_settings(cls) -> Self:
        return cls(
            api_key=settings.VAPI_API_KEY,
            base_url=settings.VAPI_API_URL,
            timeout=settings.VAPI_API_TIMEOUT_SECONDS,
        )

    def __repr__(self) -> str:
        return f"<VapiClient {self.base_url}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- Phone numbers ---

    def get_phone_number(self, phone_number_id: str) -> JSON:
        """GET /phone-number/{id}: one number, any provider (twilio, vapi, byo-phone-number...)."""
        return self._request("GET", f"/phone-number/{phone_number_id}")

    def list_phone_numbers(self, *, limit: int = MAX_PAGE_SIZE) -> list[JSON]:
        """GET /phone-number: the org's numbers, at most `limit` (the API has no cursor)."""
        return self._request("GET", "/phone-number", params={"limit": limit})

    def create_phone_number(self, body: JSON) -> JSON:
        """POST /phone-number: buy or import a number (body discriminated by provider)."""
        return self._request("POST", "/phone-number", json=body)

    def update_phone_number(self, phone_number_id: str, patch: JSON) -> JSON:
        """PATCH /phone-number/{id} with only the fields to change; returns the updated number."""
        return self._request("PATCH", f"/phone-number/{phone_number_id}", json=patch)

    # --- Calls ---

    def get_call(self, call_id: str) -> JSON:
        """GET /call/{id}: the call with its artifact, analysis and costs."""
        return self._request("GET", f"/call/{call_id}")

    def list_calls(
        self,
        *,
        created_after: dt.datetime,
        created_before: dt.datetime,
        limit: int = MAX_PAGE_SIZE,
        phone_number_id: str | None = None,
    ) -> list[JSON]:
        """Every call created in [created_after, created_before), however many there are.

        GET /call has no cursor and its sort order is unspecified, so a full page
        means "maybe more": the window is halved and each half listed again.
        """
        calls = self._list_call_window(
            created_after, created_before, limit=limit, phone_number_id=phone_number_id
        )
        unique = {call["id"]: call for call in calls}
        return sorted(unique.values(), key=lambda call: call.get("createdAt", ""))

    def _list_call_window(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        limit: int,
        phone_number_id: str | None,
    ) -> list[JSON]:
        params = {
            "createdAtGe": _iso(start),
            "createdAtLt": _iso(end),
            "limit": limit,
        }
        if phone_number_id:
            params["phoneNumberId"] = phone_number_id
        page = self._request("GET", "/call", params=params)
        if len(page) < limit:
            return page
        if end - start <= _SMALLEST_WINDOW:
            raise VapiApiError(
                f"More than {limit} calls were created in the millisecond at "
                f"{_iso(start)}; list them with a larger limit."
            )
        middle = start + (end - start) / 2
        kwargs = {"limit": limit, "phone_number_id": phone_number_id}
        return self._list_call_window(start, middle, **kwargs) + self._list_call_window(
            middle, end, **kwargs
        )

    def delete_call(self, call_id: str) -> bool:
        """DELETE /call/{id}: VAPI's copy of the call, its recordings and transcript.

        True if VAPI deleted it now, False if VAPI has no such call (404: deleted
        already, by us or in its dashboard).
        """
        # The id is quoted whole: a DELETE must never reach another path. The spec
        # requires a body; an empty one deletes this call alone ("ids" would make it
        # an asynchronous bulk delete).
        try:
            self._request("DELETE", f"/call/{quote(call_id, safe='')}", json={})
        except VapiApiError as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    # --- Transport ---

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        what = f"VAPI API {method} {path}"
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise VapiApiError(
                f"{what} timed out ({type(exc).__name__}).", transient=True
            ) from exc
        except httpx.HTTPError as exc:
            raise VapiApiError(
                f"{what} failed: {type(exc).__name__}: {exc}", transient=True
            ) from exc
        if response.is_error:
            status = response.status_code
            raise VapiApiError(
                f"{what} answered {status}: {_describe_error(response)}",
                status_code=status,
                transient=status >= 500 or status in _TRANSIENT_STATUSES,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise VapiApiError(
                f"{what} answered {response.status_code} with a body that is not JSON.",
                status_code=response.status_code,
            ) from exc


def _describe_error(response: httpx.Response) -> str:
    """VAPI (NestJS) errors look like {"message": str | [str], "error": str, "statusCode": int}."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no details"
    if not isinstance(body, dict):
        return response.reason_phrase or "no details"
    message = body.get("message")
    if isinstance(message, list):
        message = "; ".join(str(part) for part in message)
    return str(message or body.get("error") or response.reason_phrase or "no details")


def _iso(moment: dt.datetime) -> str:
    """UTC with milliseconds and a Z, as VAPI writes its own timestamps."""
    return (
        moment.astimezone(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
