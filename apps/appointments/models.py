"""Scheduling: what a business offers, who does it, when, and the bookings."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import date_format

from apps.businesses.models import WeeklyHours
from apps.core.models import TimeStampedModel
from apps.core.phones import InvalidPhoneError, normalize_phone


class Service(TimeStampedModel):
    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="services"
    )
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    price = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    buffer_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Clean-up time kept free after each appointment."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "name"], name="unique_service_name"
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0),
                name="service_duration_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Provider(TimeStampedModel):
    """A bookable person (or chair) with their own hours and services."""

    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="providers"
    )
    name = models.CharField(max_length=120)
    services = models.ManyToManyField(Service, related_name="providers", blank=True)
    is_active = models.BooleanField(default=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="providers",
        help_text="The staff login of this person, if any: they may connect their own calendar.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "name"], name="unique_provider_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProviderHours(WeeklyHours):
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="hours"
    )

    class Meta(WeeklyHours.Meta):
        verbose_name_plural = "provider hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="provider_hours_close_after_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {super().__str__()}"


class TimeOff(models.Model):
    """A provider's absence: a day off, a holiday, a long lunch."""

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name_plural = "time off"
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="time_off_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        local = self.starts_at.astimezone(self.provider.business.tzinfo)
        return f"{self.provider} off {date_format(local, 'DATETIME_FORMAT')}"


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=Appointment.ACTIVE_STATUSES)

    def overlapping(self, start_at, blocked_until):
        """Appointments whose blocked time (service plus buffer) meets this interval."""
        return self.filter(start_at__lt=blocked_until, blocked_until__gt=start_at)

    def upcoming(self, *, now):
        return self.active().filter(start_at__gte=now)

    def for_phone(self, business, phone: str) -> "AppointmentQuerySet":
        """The appointments of `business`'s lead with this phone number (any format)."""
        try:
            e164 = normalize_phone(phone)
        except InvalidPhoneError:
            return self.none()
        return self.filter(business=business, lead__phone=e164)


class Appointment(TimeStampedModel):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "No-show"

    # Statuses that hold the provider's time. The PostgreSQL exclusion constraint
    # (migration 0002) uses the same list: keep them in step.
    ACTIVE_STATUSES = (Status.BOOKED, Status.CONFIRMED)

    business = models.ForeignKey(
        "businesses.Business", on_delete=models.CASCADE, related_name="appointments"
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="appointments"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="appointments"
    )
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    blocked_until = models.DateTimeField(
        help_text="End plus the service's buffer: the provider's time held by this booking."
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.BOOKED
    )
    source_call = models.ForeignKey(
        "calls.Call",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    notes = models.TextField(blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_at__gt=models.F("start_at")),
                name="appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(blocked_until__gte=models.F("end_at")),
                name="appointment_blocks_through_end",
            ),
        ]
        indexes = [
            models.Index(fields=["business", "start_at"]),
            models.Index(fields=["provider", "start_at"]),
            models.Index(fields=["status", "start_at"]),
        ]

    def __str__(self) -> str:
        # Staff read it (page titles, links) as the business's wall-clock time.
        local = self.start_at.astimezone(self.business.tzinfo)
        when = date_format(local, "DATETIME_FORMAT")
        return f"{self.service} with {self.provider} at {when}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    def overlaps(self, other: "Appointment") -> bool:
        return (
            self.provider_id == other.provider_id
            and self.start_at < other.blocked_until
            and other.start_at < self.blocked_until
        )

    def set_times(self, start_at) -> None:
        """End and blocked time follow from the start and the service."""
        self.start_at = start_at
        self.end_at = start_at + dt.timedelta(minutes=self.service.duration_minutes)
        self.blocked_until = self.end_at + dt.timedelta(
            minutes=self.service.buffer_minutes
        )

    def clean(self) -> None:
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValidationError("The appointment must end after it starts.")
        if self.end_at and self.service_id:
            self.blocked_until = self.end_at + dt.timedelta(
                minutes=self.service.buffer_minutes
            )
