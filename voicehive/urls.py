"""URL wiring: the admin, the API, the schema and the health check."""

from django.conf import settings
from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from apps.core.views import healthz

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("healthz/", healthz, name="healthz"),
]
