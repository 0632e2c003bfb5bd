"""URL wiring: the admin, the API, the schema and the health check."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from apps.core.views import healthz

urlpatterns = [
    # The front desk's calendar and booking pages live under the admin's prefix.
    path(f"{settings.ADMIN_URL}frontdesk/", include("apps.frontdesk.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include("apps.vapi.api.urls")),
    # Public: it describes the VAPI webhook, which VAPI's setup needs and which
    # holds no secret (DRF is otherwise closed to all but staff).
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny]),
        name="schema",
    ),
    path("healthz/", healthz, name="healthz"),
    # Invited staff set their password here (links from the invite email).
    path("staff/", include("apps.staff.urls")),
    # The admin header's business switcher posts here.
    path("businesses/", include("apps.businesses.urls")),
    # Calendar OAuth pages (staff) and Google/Microsoft push notifications (public).
    path("calendars/", include("apps.calendars.urls")),
    # Email delivery events from the ESP: /webhooks/anymail/<esp>/tracking/
    path("webhooks/anymail/", include("anymail.urls")),
    # Twilio's Messaging webhooks: incoming texts and delivery status (signed).
    path("webhooks/twilio/", include("apps.texting.urls")),
]
