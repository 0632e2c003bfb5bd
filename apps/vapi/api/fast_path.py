"""VAPI's webhook skips the middleware that exists for staff pages.

Every message of every call is a POST to one URL that carries no cookie, renders
no HTML and authenticates itself (bearer token or HMAC, in the view). Sessions,
CSRF, the staff login, the business time zone, messages, framing and CSP headers,
django-axes and the static files server do nothing useful for it and cost it CPU
on each message, so this middleware, placed right after SecurityMiddleware (HTTPS
redirect and HSTS still apply), answers that one path itself and hands every other
request to the full stack unchanged.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from apps.vapi.api.views import VapiWebhookView


class VapiWebhookFastPath:
    def __init__(self, get_response):
        self.get_response = get_response
        self.view = VapiWebhookView.as_view()
        self.path = ""  # reversed on first use: the URLconf may not be loaded yet

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.path:
            self.path = reverse("vapi:webhook")
        if request.path != self.path:
            return self.get_response(request)
        # What Django's handler would do after the middleware: call the view and
        # render DRF's lazy response. The view is csrf_exempt and non-atomic, and
        # its exceptions reach Django's handler as any view's would.
        return self.view(request).render()
