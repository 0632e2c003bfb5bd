"""Sending simulated messages to the webhook: VAPI's credential and two transports."""

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.vapi.api.authentication import sign


class SimulationError(Exception):
    """The simulation cannot start (no credential, no business, no number)."""


@dataclass(frozen=True)
class WebhookCredential:
    """What VAPI would send to prove itself, per the webhook's settings."""

    mode: str  # "bearer" or "hmac"
    secret: str

    @classmethod
    def from_settings(cls) -> "WebhookCredential":
        if settings.VAPI_WEBHOOK_SECRET:
            return cls("bearer", settings.VAPI_WEBHOOK_SECRET)
        if settings.VAPI_HMAC_SECRET:
            return cls("hmac", settings.VAPI_HMAC_SECRET)
        raise SimulationError(
            "The VAPI webhook refuses every request without a credential: "
            "set VAPI_WEBHOOK_SECRET (make run sets dev-webhook-secret)."
        )

    def headers(self, body: bytes) -> dict[str, str]:
        if self.mode == "bearer":
            return {settings.VAPI_AUTH_HEADER: settings.VAPI_AUTH_PREFIX + self.secret}
        stamp = str(int(time.time() * 1000))
        return {
            settings.VAPI_HMAC_SIGNATURE_HEADER: sign(self.secret, stamp, body),
            settings.VAPI_HMAC_TIMESTAMP_HEADER: stamp,
        }


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when nothing came back
    body: Any  # the decoded JSON, or None
    error: str = ""

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


class Transport(Protocol):
    def post(self, body: bytes) -> Reply: ...


class InProcessTransport:
    """The real webhook URL via Django's test client: auth, parsing, storage as VAPI meets them."""

    def __init__(self, credential: WebhookCredential):
        self.credential = credential
        self.client = Client(raise_request_exception=False)
        self.path = reverse("vapi:webhook")
        self.host = allowed_host()

    def post(self, body: bytes) -> Reply:
        response = self.client.post(
            self.path,
            data=body,
            content_type="application/json",
            secure=True,
            headers=self.credential.headers(body),
            HTTP_HOST=self.host,
        )
        return Reply(response.status_code, _json_or_none(response.content))


class HttpTransport:
    """POSTs to a running server with httpx."""

    def __init__(
        self, url: str, credential: WebhookCredential, *, timeout: float = 15.0
    ):
        self.url = url
        self.credential = credential
        self.client = httpx.Client(timeout=timeout)

    def post(self, body: bytes) -> Reply:
        headers = {"Content-Type": "application/json", **self.credential.headers(body)}
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Reply(0, None, error=f"{type(exc).__name__}: {exc}")
        return Reply(response.status_code, _json_or_none(response.content))

    def close(self) -> None:
        self.client.close()


def allowed_host() -> str:
    """A Host header the site accepts (the first concrete ALLOWED_HOSTS entry)."""
    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".")
    return "localhost"


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
