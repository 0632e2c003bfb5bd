"""Who may call the VAPI webhook."""

import logging

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from apps.vapi.api.authentication import authenticate_vapi_request

logger = logging.getLogger(__name__)


class HasVapiCredential(BasePermission):
    """Only requests carrying VAPI's configured bearer token or HMAC signature."""

    def has_permission(self, request, view) -> bool:
        try:
            authenticate_vapi_request(request)
        except AuthenticationFailed as exc:
            # The reason, never the headers or body: they hold the secrets and PII.
            logger.warning("VAPI webhook request refused: %s", exc.detail)
            raise
        return True
