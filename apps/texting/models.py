"""Two-way texting: a conversation per customer number, the texts they sent us, and
the numbered times offered to move an appointment by text."""

from django.db import models

from apps.core.models import TimeStampedModel


class Conversation(TimeStampedModel):
    """One customer number's texts with one business. Outgoing texts are the
    business's SMS notifications to this number; incoming ones are InboundText rows."""

    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="conversations"
    )
    phone = models.CharField(max_length=20, help_text="E.164")
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
    )
    needs_attention = models.BooleanField(default=False, db_index=True)
    attention_reason = models.CharField(max_length=300, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_inbound_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "phone"], name="unique_conversation_per_number"
            )
        ]
        indexes = [models.Index(fields=["business", "needs_attention"])]

    def __str__(self) -> str:
        name = self.lead.name if self.lead_id and self.lead.name else ""
        return f"{name} {self.phone}".strip()


class InboundText(models.Model):
    """A text a customer sent, stored once (Twilio's MessageSid) before it is acted on."""

    class Intent(models.TextChoices):
        STOP = "stop", "Opt out (STOP)"
        START = "start", "Opt back in (START)"
        HELP = "help", "Help"
        CONFIRM = "confirm", "Confirm"
        CANCEL = "cancel", "Cancel appointment"
        RESCHEDULE = "reschedule", "Reschedule"
        CHOICE = "choice", "Chose an offered time"
        OTHER = "other", "For staff"

    message_sid = models.CharField("provider message id", max_length=64, unique=True)
    business = models.ForeignKey(
        "businesses.Business",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_texts",
        help_text="Empty when the number texted belongs to no business.",
    )
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_texts",
    )
    from_number = models.CharField(max_length=32)
    to_number = models.CharField(max_length=32)
    body = models.TextField(blank=True)
    received_at = models.DateTimeField()
    intent = models.CharField(max_length=12, choices=Intent.choices, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["business", "-received_at"])]

    def __str__(self) -> str:
        return f"Text from {self.from_number}"


class RescheduleOffer(TimeStampedModel):
    """Free times offered by text for one appointment; "2" books the second. The row
    keeps the signed slot ids, so a late or repeated answer is judged against it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        TAKEN = "taken", "Booked"
        REPLACED = "replaced", "Replaced by a newer offer"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="offers"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    slot_ids = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    chosen = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Offer of {len(self.slot_ids)} time(s)"
