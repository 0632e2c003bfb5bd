"""Is this request from Twilio? X-Twilio-Signature, checked by Twilio's own validator.

Twilio signs the exact URL it called plus the POST parameters. Behind a proxy or a
load balancer Django sees another scheme, host or port, so the URL is rebuilt from
the public origin (TWILIO_WEBHOOK_BASE_URL, else SITE_URL) when one is configured,
and from the request (which honours SECURE_PROXY_SSL_HEADER) only otherwise. With
no auth token every request is refused: fail closed.
"""

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator, get_signature_algorithm

from apps.notifications.channels import twilio_public_origin

SIGNATURE_HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"


def public_url(request: HttpRequest) -> str:
    """The URL Twilio called, as Twilio saw it."""
    origin = twilio_public_origin()
    if origin:
        return origin + request.get_full_path()
    return request.build_absolute_uri()


def is_from_twilio(request: HttpRequest) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER, "")
    token = settings.TWILIO_AUTH_TOKEN
    if not (signature and token):
        return False
    algorithm = get_signature_algorithm(request.headers.get(SETTINGS_HEADER, ""))
    return RequestValidator(token).validate(
        public_url(request), request.POST, signature, algorithm=algorithm
    )
