"""URLs of the businesses app's staff pages (the admin's header switcher)."""

from django.urls import path

from apps.businesses import views

app_name = "businesses"

urlpatterns = [
    path("switch/", views.switch_business, name="switch"),
]
