"""The project's URLs plus the baseline endpoint, which exists only under bench.settings."""

from django.urls import path

from bench.views import BaselineView
from voicehive.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("bench/baseline/", BaselineView.as_view(), name="bench-baseline"),
]
