"""Outgoing email and SMS, one row per message: the row is the truth, the broker a doorbell."""

import datetime as dt

from django.conf import settings
from django.db import models

from apps.core.models import TimeStampedModel

STAFF_INVITE = "staff_invite"
# The one text a number that just opted out may still get: the carriers require that
# "STOP" is answered with a confirmation (CTIA), so the opt-out never suppresses it.
SMS_OPT_OUT_CONFIRMATION = "sms_opt_out_confirmation"
CONSENT_EXEMPT_KINDS = (SMS_OPT_OUT_CONFIRMATION,)
# Kinds whose message carries a credential (a set-password link that signs its holder
# in as the recipient): the admin shows these rows to superusers only.
CREDENTIAL_KINDS = (STAFF_INVITE,)


class NotificationQuerySet(models.QuerySet):
    def queued(self):
        return self.filter(status=Notification.Status.QUEUED)

    def due(self, now: dt.datetime):
        return self.filter(
            models.Q(send_after__isnull=True) | models.Q(send_after__lte=now)
        )

    def needing_enqueue(self, *, now: dt.datetime, grace: dt.timedelta):
        """Queued, due, and no task sent for it lately (or ever, for deferred rows)."""
        not_rung_lately = models.Q(enqueued_at__isnull=True) | models.Q(
            enqueued_at__lte=now - grace
        )
        return self.queued().due(now).filter(not_rung_lately)

    def waiting_on_retry(self, now: dt.datetime):
        """Queued for a later try after a failure (a deferred first send has no error)."""
        return self.queued().filter(send_after__gt=now).exclude(last_error="")

    def stale_claims(self, *, now: dt.datetime, older_than: dt.timedelta):
        return self.filter(
            status=Notification.Status.SENDING, claimed_at__lte=now - older_than
        )


class Notification(TimeStampedModel):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        UNDELIVERED = "undelivered", "Undelivered"
        # Never handed to the provider: the number opted out of this business's texts.
        SUPPRESSED = "suppressed", "Not sent (opted out)"

    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=40, db_index=True)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    attachments = models.JSONField(
        default=list,
        blank=True,
        help_text="Text attachments: [{filename, content, mimetype}], e.g. an .ics invite.",
    )
    # What the caller's texts and emails are written in (issue #16): their call's
    # language; blank for staff alerts (English).
    language = models.CharField(max_length=8, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    dedupe_key = models.CharField(max_length=255, unique=True)
    send_after = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Held back until then (quiet hours, reminders).",
    )
    enqueued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a delivery task was last sent to the broker for this row.",
    )
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    call = models.ForeignKey(
        "calls.Call",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "send_after"]),
            models.Index(fields=["business", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.kind} to {self.recipient}"


class SmsConsentQuerySet(models.QuerySet):
    def opted_out(self):
        return self.filter(status=SmsConsent.Status.OPTED_OUT)


class SmsConsent(TimeStampedModel):
    """Whether one number takes texts from one business: the carriers' STOP/START.

    Absent means never asked (texts allowed, as consent given on the call). Checked
    when a text is queued and again when it is sent, so an opt-out also stops texts
    already waiting in the outbox.
    """

    class Status(models.TextChoices):
        OPTED_IN = "opted_in", "Takes texts"
        OPTED_OUT = "opted_out", "Opted out"

    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="sms_consents"
    )
    phone = models.CharField(max_length=20, help_text="E.164")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPTED_IN
    )
    changed_at = models.DateTimeField()

    objects = SmsConsentQuerySet.as_manager()

    class Meta:
        verbose_name = "text consent"
        ordering = ["-changed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "phone"], name="unique_sms_consent_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone}: {self.get_status_display()}"

    @property
    def is_opted_out(self) -> bool:
        return self.status == self.Status.OPTED_OUT


class SmsConsentChange(models.Model):
    """One change of a number's consent: who or what changed it, when and why."""

    class Source(models.TextChoices):
        KEYWORD = "keyword", "Customer's text"
        STAFF = "staff", "Staff"
        PROVIDER = "provider", "SMS provider"

    consent = models.ForeignKey(
        SmsConsent, on_delete=models.CASCADE, related_name="changes"
    )
    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=SmsConsent.Status.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "text consent change"
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.get_source_display()})"
