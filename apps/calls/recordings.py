"""A call's recording for staff, streamed through VoiceHive from wherever VAPI keeps it.

VAPI's recording URL (artifact.recordingUrl) may be public, or point at private
storage that "cannot be downloaded directly" (docs/vapi-protocol.md, 6.2). The URL is
tried as it is; on 401 or 403, VAPI's `GET /call/{id}/mono-recording` with the private
API key answers with a redirect to a short-lived signed URL, which is fetched in turn.
The key goes to VAPI_API_URL only, never to a host a stored URL names.

Streaming rather than handing the browser the signed URL keeps the page's media to
our own origin (CSP media-src 'self'), every byte behind the staff login, and works
the same for both kinds of URL. Range requests pass through so staff can seek; each
answer is capped at CHUNK_BYTES, so a sync web worker serves one short chunk at a
time instead of being held for as long as the browser plays.
"""

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, urlsplit

import httpx
from django.conf import settings

from apps.core.links import is_web_url

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
# Well inside gunicorn's 30 s worker timeout, and an audio player gives up sooner.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
PASSED_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Range",
    "Content-Encoding",
    "Accept-Ranges",
    "ETag",
    "Last-Modified",
)
OPEN_RANGE = re.compile(r"bytes=(\d+)-(\d*)")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
SERVED = frozenset({200, 206, 416})  # 416: a seek past the end, the browser copes


class RecordingError(Exception):
    """The recording can't be played; `status` is what the staff page gets (404, 502)."""

    def __init__(self, message: str, *, status: int = 502):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RecordingStream:
    """VAPI's answer, ready to relay: status, the headers worth passing on, and the
    body, whose close() releases the connection to VAPI (Django calls it)."""

    status: int
    headers: dict[str, str]
    chunks: Iterable[bytes]


def open_recording(call, *, range_header: str | None = None) -> RecordingStream:
    """Start fetching `call`'s recording (the `Range` asked for, capped at
    CHUNK_BYTES); raises RecordingError when there is none or VAPI fails."""
    if call.purged_at or not is_web_url(call.recording_url):
        raise RecordingError("This call has no recording.", status=404)
    headers = _capped_range(range_header)
    client = httpx.Client(timeout=TIMEOUT)
    try:
        response = _send(client, call.recording_url, headers, follow=True)
        if response.status_code in (401, 403):
            response.close()
            response = _signed(client, call, headers)
        _check(response)
    except httpx.HTTPError as exc:
        client.close()
        logger.warning("Recording of call %s: %s", call.pk, exc.__class__.__name__)
        raise RecordingError(
            "VAPI did not answer for the recording. Try again in a moment."
        ) from exc
    except RecordingError:
        client.close()
        raise
    passed = {
        name: response.headers[name]
        for name in PASSED_HEADERS
        if name in response.headers
    }
    passed["Content-Disposition"] = f'inline; filename="{_filename(call)}"'
    return RecordingStream(response.status_code, passed, _Relay(client, response))


def _signed(client: httpx.Client, call, headers: dict) -> httpx.Response:
    if not settings.VAPI_API_KEY:
        raise RecordingError(
            "VAPI keeps this recording private and VAPI_API_KEY is not set, so "
            "VoiceHive cannot fetch it."
        )
    url = "{}/call/{}/mono-recording".format(
        settings.VAPI_API_URL.rstrip("/"), quote(call.vapi_call_id, safe="")
    )
    auth = {"Authorization": f"Bearer {settings.VAPI_API_KEY}"}
    response = _send(client, url, {**headers, **auth}, follow=False)
    if response.status_code not in REDIRECTS:
        return response  # the audio itself, or an error _check reports
    response.close()
    signed = str(response.url.join(response.headers.get("Location", "")))
    return _send(client, signed, headers, follow=True)


def _send(client, url: str, headers: dict, *, follow: bool) -> httpx.Response:
    request = client.build_request("GET", url, headers=headers)
    return client.send(request, stream=True, follow_redirects=follow)


def _check(response: httpx.Response) -> None:
    if response.status_code in SERVED:
        return
    response.close()
    if response.status_code in (404, 410):
        raise RecordingError("VAPI no longer has this recording.", status=404)
    raise RecordingError(
        f"VAPI answered {response.status_code} for the recording. "
        "Try again in a moment."
    )


def _capped_range(asked: str | None) -> dict[str, str]:
    # No Range (a download): the whole file. A suffix or several ranges: as asked.
    if not asked:
        return {}
    match = OPEN_RANGE.fullmatch(asked.strip())
    if match is None:
        return {"Range": asked}
    start, end = int(match[1]), match[2]
    last = start + CHUNK_BYTES - 1
    return {"Range": f"bytes={start}-{min(int(end), last) if end else last}"}


class _Relay:
    """The body, relayed as VAPI sends it; Django closes it when the response ends,
    read or not, which releases the connection to VAPI."""

    def __init__(self, client: httpx.Client, response: httpx.Response):
        self.client, self.response = client, response

    def __iter__(self) -> Iterator[bytes]:
        try:
            # Raw: as VAPI sent it, so Content-Length and -Encoding still hold.
            yield from self.response.iter_raw()
        except httpx.HTTPError as exc:
            # The status is sent already: the browser sees a short body and retries.
            logger.warning("Recording stream broke off: %s", exc.__class__.__name__)

    def close(self) -> None:
        self.response.close()
        self.client.close()


def _filename(call) -> str:
    suffix = PurePosixPath(urlsplit(call.recording_url).path).suffix
    return f"call-{call.pk}{suffix if suffix[1:].isalnum() else ''}"
