"""Leads: the people who call, and where each stands in the sales pipeline."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from apps.core.models import TimeStampedModel
from apps.core.phones import InvalidPhoneError, normalize_phone


class LeadQuerySet(models.QuerySet):
    def for_business(self, business):
        return self.filter(business=business)


class Lead(TimeStampedModel):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        BOOKED = "booked", "Booked"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    class Source(models.TextChoices):
        INBOUND_CALL = "inbound_call", "Inbound call"
        MANUAL = "manual", "Manual"
        IMPORT = "import", "Import"

    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="leads"
    )
    name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(
        max_length=20, blank=True, help_text="E.164, e.g. +15125550187"
    )
    email = models.EmailField(blank=True)
    # An address only the call analysis heard (possibly mis-heard, or someone else's):
    # shown to staff, never sent to, until staff confirm it or the caller gives it.
    suggested_email = models.EmailField(
        "email heard in a call",
        blank=True,
        help_text="Not confirmed, never used to send. Staff confirm it with the "
        "'Use the email heard in the call' action.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)], help_text="0–100"
    )
    score_reason = models.CharField(max_length=300, blank=True)
    source = models.CharField(
        max_length=20, choices=Source.choices, default=Source.INBOUND_CALL
    )
    interest = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    has_sms_consent = models.BooleanField("SMS consent", default=True)
    has_email_consent = models.BooleanField("email consent", default=True)
    has_marketing_consent = models.BooleanField("marketing consent", default=False)
    last_contacted_at = models.DateTimeField(null=True, blank=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "phone"],
                condition=~models.Q(phone=""),
                name="unique_lead_phone_per_business",
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=100),
                name="lead_score_at_most_100",
            ),
        ]
        indexes = [
            models.Index(fields=["business", "status"]),
            models.Index(fields=["business", "-created_at"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["email"]),
        ]

    def __str__(self) -> str:
        return self.name or self.phone or f"Lead {self.pk}"

    def clean(self) -> None:
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except InvalidPhoneError as exc:
                raise ValidationError({"phone": str(exc)}) from exc


class CallbackRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=CallbackRequest.Status.OPEN)

    def due_by(self, moment: dt.datetime) -> "CallbackRequestQuerySet":
        """Open requests due at or before `moment` (one with no due time was due
        when it was taken)."""
        return self.open().filter(
            models.Q(due_at__lte=moment)
            | models.Q(due_at__isnull=True, created_at__lte=moment)
        )


class CallbackRequest(TimeStampedModel):
    """A message Roxy took for staff: someone to call back."""

    class Urgency(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        URGENT = "urgent", "Urgent"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    business = models.ForeignKey(
        "businesses.Business",
        on_delete=models.CASCADE,
        related_name="callback_requests",
    )
    lead = models.ForeignKey(
        Lead,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callback_requests",
    )
    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callback_requests",
    )
    name = models.CharField(max_length=120, blank=True)
    callback_number = models.CharField(max_length=20, blank=True, help_text="E.164")
    message = models.TextField()
    urgency = models.CharField(
        max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_callback_requests",
        verbose_name="owner",
    )
    due_at = models.DateTimeField(
        "due",
        null=True,
        blank=True,
        help_text="Leave blank to set it from the urgency.",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = CallbackRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["business", "status", "-created_at"]),
            models.Index(fields=["business", "status", "due_at"]),
            models.Index(fields=["status", "urgency"]),
        ]

    def __str__(self) -> str:
        return f"Call back {self.name or self.callback_number or 'caller'}"

    @property
    def due(self) -> dt.datetime | None:
        return self.due_at or self.created_at

    def is_overdue(self, now: dt.datetime) -> bool:
        return (
            self.status == self.Status.OPEN and self.due is not None and self.due < now
        )
