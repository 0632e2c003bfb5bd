"""The VAPI webhook's settings and credentials, for every test that posts to it.

Registered once as a plugin (tests/conftest.py), so the webhook tests, the
simulator's and the end-to-end pipeline's all post with the same secrets.
"""

import base64
import hashlib
import hmac
import json
import time

import pytest

BEARER_SECRET = "bearer-secret-current"
HMAC_SECRET = "hmac-secret-current"
URL = "/api/v1/vapi/webhook/"


@pytest.fixture
def webhook_settings(settings):
    """Bearer mode only, with the defaults; tests switch other modes on."""
    settings.VAPI_WEBHOOK_SECRET = BEARER_SECRET
    settings.VAPI_WEBHOOK_SECRET_PREVIOUS = ""
    settings.VAPI_AUTH_HEADER = "Authorization"
    settings.VAPI_AUTH_PREFIX = "Bearer "
    settings.VAPI_HMAC_SECRET = ""
    settings.VAPI_HMAC_SECRET_PREVIOUS = ""
    settings.VAPI_HMAC_SIGNATURE_HEADER = "x-signature"
    settings.VAPI_HMAC_TIMESTAMP_HEADER = "x-timestamp"
    settings.VAPI_HMAC_SIGNATURE_PREFIX = ""
    settings.VAPI_HMAC_SIGNATURE_ENCODING = "hex"
    settings.VAPI_HMAC_TOLERANCE_SECONDS = 300
    settings.VAPI_MAX_BODY_BYTES = 5 * 1024 * 1024
    settings.VAPI_DUPLICATE_WAIT_SECONDS = 0.2
    return settings


def bearer(secret: str = BEARER_SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def hmac_headers(
    body: bytes,
    *,
    secret: str = HMAC_SECRET,
    timestamp: str | None = None,
    encoding: str = "hex",
    prefix: str = "",
) -> dict[str, str]:
    """Headers as VAPI's HMAC credential sends them: sha256 over '{timestamp}.{body}'."""
    timestamp = timestamp or str(int(time.time() * 1000))
    digest = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).digest()
    signature = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    return {"x-signature": prefix + signature, "x-timestamp": timestamp}


def as_bytes(body) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()
