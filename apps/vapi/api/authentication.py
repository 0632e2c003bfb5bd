"""Checks on a VAPI request before we trust it: body size, bearer token, HMAC signature.

Which modes are on follows settings (see `# --- VAPI ---`): bearer when
VAPI_WEBHOOK_SECRET (or its _PREVIOUS) is set, HMAC when VAPI_HMAC_SECRET (or its
_PREVIOUS) is set. Either passing is enough; with neither configured every
request is refused. Both secrets of a pair are accepted so they can be rotated.
"""

import base64
import hashlib
import hmac
import math
import time

from django.conf import settings
from django.http import HttpRequest
from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed

# Timestamps above this are milliseconds: 1e11 seconds is the year 5138, while
# 1e11 milliseconds is 1973.
_MILLISECONDS_ABOVE = 10**11


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def check_declared_size(request: HttpRequest) -> None:
    """Refuse (413) a body whose Content-Length is over the limit, before reading it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # the actual read below still enforces the limit
    if declared > settings.VAPI_MAX_BODY_BYTES:
        raise RequestBodyTooLarge()


def read_raw_body(request: HttpRequest) -> bytes:
    """The body exactly as sent (what HMAC signs); 413 past VAPI_MAX_BODY_BYTES."""
    request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    if not hasattr(request, "_body"):
        check_declared_size(request)
        # Read with our own bound: request.body would apply Django's 2.5 MB
        # DATA_UPLOAD_MAX_MEMORY_SIZE instead. Cached where Django caches it,
        # so request.body keeps working afterwards.
        request._body = request.read(settings.VAPI_MAX_BODY_BYTES + 1)
    if len(request._body) > settings.VAPI_MAX_BODY_BYTES:
        raise RequestBodyTooLarge()
    return request._body


def authenticate_vapi_request(request: HttpRequest) -> str:
    """The mode that vouched for this request ("bearer" or "hmac"), else AuthenticationFailed."""
    bearer_secrets = _secrets("VAPI_WEBHOOK_SECRET")
    hmac_secrets = _secrets("VAPI_HMAC_SECRET")
    if not bearer_secrets and not hmac_secrets:
        raise AuthenticationFailed("VAPI webhook authentication is not configured.")
    reasons = []
    if bearer_secrets:
        reason = _bearer_failure(request, bearer_secrets)
        if reason is None:
            return "bearer"
        reasons.append(reason)
    if hmac_secrets:
        reason = _hmac_failure(request, hmac_secrets)
        if reason is None:
            return "hmac"
        reasons.append(reason)
    raise AuthenticationFailed(" ".join(reasons))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature VAPI's HMAC credential sends for this timestamp and body."""
    payload = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    if settings.VAPI_HMAC_SIGNATURE_ENCODING == "base64":
        encoded = base64.b64encode(digest).decode()
    else:
        encoded = digest.hex()
    return settings.VAPI_HMAC_SIGNATURE_PREFIX + encoded


def _bearer_failure(request: HttpRequest, secrets: list[str]) -> str | None:
    sent = request.headers.get(settings.VAPI_AUTH_HEADER, "")
    prefix = settings.VAPI_AUTH_PREFIX
    if not sent:
        return f"The {settings.VAPI_AUTH_HEADER} header is missing."
    if not sent.lower().startswith(prefix.lower()):
        return f"The {settings.VAPI_AUTH_HEADER} header does not start with {prefix!r}."
    token = sent[len(prefix) :].strip()
    if not any(_equal(token, secret) for secret in secrets):
        return "The bearer token is wrong."
    return None


def _hmac_failure(request: HttpRequest, secrets: list[str]) -> str | None:
    signature = request.headers.get(settings.VAPI_HMAC_SIGNATURE_HEADER, "").strip()
    timestamp = request.headers.get(settings.VAPI_HMAC_TIMESTAMP_HEADER, "").strip()
    if not signature or not timestamp:
        return "The HMAC signature or timestamp header is missing."
    if not _is_fresh(timestamp):
        return "The HMAC timestamp is not a current time."
    body = read_raw_body(request)
    expected = [sign(secret, timestamp, body) for secret in secrets]
    if settings.VAPI_HMAC_SIGNATURE_ENCODING != "base64":
        # Hex digits may come in either case.
        signature, expected = signature.lower(), [e.lower() for e in expected]
    if not any(_equal(signature, candidate) for candidate in expected):
        return "The HMAC signature is wrong."
    return None


def _is_fresh(timestamp: str) -> bool:
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    if not math.isfinite(sent):
        return False
    if sent > _MILLISECONDS_ABOVE:
        sent /= 1000
    return abs(time.time() - sent) <= settings.VAPI_HMAC_TOLERANCE_SECONDS


def _secrets(name: str) -> list[str]:
    candidates = (getattr(settings, name), getattr(settings, f"{name}_PREVIOUS"))
    return [secret for secret in candidates if secret]


def _equal(sent: str, expected: str) -> bool:
    # Bytes, because compare_digest refuses non-ASCII str; constant time either way.
    return hmac.compare_digest(sent.encode(), expected.encode())
