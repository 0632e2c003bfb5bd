"""The project's URLs plus the bench-only endpoints (baseline, floors) for bench.settings."""

from django.urls import path

from bench.views import BaselineView, SqlToolCallFloorView, ToolCallFloorView
from voicehive.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("bench/baseline/", BaselineView.as_view(), name="bench-baseline"),
    path("bench/floor/orm/", ToolCallFloorView.as_view(), name="bench-floor-orm"),
    path("bench/floor/sql/", SqlToolCallFloorView.as_view(), name="bench-floor-sql"),
]
