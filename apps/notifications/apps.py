from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from anymail.signals import tracking

        from apps.notifications import (
            checks,  # noqa: F401  importing it registers this app's deploy checks
            receivers,
        )

        # ESP webhooks (delivered, bounced, complained...) arrive through anymail's views.
        tracking.connect(
            receivers.handle_tracking_event, dispatch_uid="notifications-tracking"
        )
