"""Signal receivers: hand anymail's normalised tracking events to the service."""

from apps.notifications import delivery


def handle_tracking_event(sender, event, esp_name: str, **kwargs) -> None:
    delivery.record_delivery_event(
        provider_message_id=str(event.message_id or ""),
        event_type=event.event_type,
        description=event.description
        or event.mta_response
        or event.reject_reason
        or "",
    )
