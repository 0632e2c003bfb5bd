from django.urls import path

from apps.texting import webhooks

app_name = "texting"

urlpatterns = [
    path("incoming/", webhooks.incoming_message, name="incoming"),
    path("status/", webhooks.message_status, name="status"),
]
