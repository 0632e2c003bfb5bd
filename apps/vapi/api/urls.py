from django.urls import path

from apps.vapi.api.views import VapiWebhookView

app_name = "vapi"

urlpatterns = [
    path("vapi/webhook/", VapiWebhookView.as_view(), name="webhook"),
]
