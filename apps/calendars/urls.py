"""Calendar URLs: OAuth pages for staff, push endpoints for Google and Microsoft."""

from django.urls import path

from apps.calendars import views

app_name = "calendars"

urlpatterns = [
    path("oauth/<str:kind>/start/", views.oauth_start, name="oauth-start"),
    path("oauth/<str:kind>/callback/", views.oauth_callback, name="oauth-callback"),
    # Public: Google and Microsoft post here; each notification is verified.
    path("push/google/", views.google_push, name="push-google"),
    path("push/microsoft/", views.microsoft_push, name="push-microsoft"),
]
