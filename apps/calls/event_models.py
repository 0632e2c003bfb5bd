"""The raw VAPI webhook events of calls and the tools Roxy ran during them.

Models of the calls app (imported at the end of apps.calls.models).
"""

from django.db import models

from apps.calls.models import Call


class WebhookEvent(models.Model):
    """One VAPI server message exactly as received, stored before anything else happens."""

    # Events belong to the business of their call (staff never see one without a call).
    tenant_path = "call__business"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    type = models.CharField(max_length=64, db_index=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    vapi_call_id = models.CharField(
        "VAPI call id", max_length=64, blank=True, db_index=True
    )
    call = models.ForeignKey(
        Call,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_events",
    )
    payload = models.JSONField()
    response = models.JSONField(
        null=True, blank=True, help_text="What we answered VAPI."
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.vapi_call_id}".strip()


class ToolInvocation(models.Model):
    """One tool call Roxy made; the toolCallId makes a redelivery return the stored answer.

    The id is the model's, unique within its call only: once-only is per call, so
    another business's call reusing an id never hears this one's answer.
    """

    tool_call_id = models.CharField(max_length=128)
    call = models.ForeignKey(
        Call,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tool_invocations",
    )
    business = models.ForeignKey(
        "businesses.Business",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tool_invocations",
    )
    name = models.CharField(max_length=64, db_index=True)
    arguments = models.JSONField(default=dict, blank=True)
    result = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # Without a call (no call id in the message) nothing is once-only:
            # NULLs are distinct, and the raw event's dedupe key covers redelivery.
            models.UniqueConstraint(
                fields=["call", "tool_call_id"], name="tool_call_once_per_call"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tool_call_id})"

    @property
    def succeeded(self) -> bool:
        return not self.error
