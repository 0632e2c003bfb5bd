"""The tenant: a business, the VAPI numbers that reach it, its hours and its staff."""

import datetime as dt
import zoneinfo
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone

from apps.core.models import TimeStampedModel


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not an IANA time zone, e.g. America/Chicago."
        )


def validate_email_list(value: str) -> None:
    for address in split_recipients(value):
        validate_email(address)


def split_recipients(value: str) -> list[str]:
    return [
        part.strip() for part in value.replace("\n", ",").split(",") if part.strip()
    ]


class BusinessQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_user(self, user):
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user)


class Business(TimeStampedModel):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    address = models.TextField(blank=True)
    phone = models.CharField("public phone", max_length=20, blank=True)
    website = models.URLField(blank=True)
    transfer_number = models.CharField(
        max_length=20, blank=True, help_text="E.164 number Roxy transfers callers to."
    )
    notification_emails = models.TextField(
        blank=True,
        validators=[validate_email_list],
        help_text="Staff addresses for alerts, separated by commas or new lines.",
    )
    notification_phones = models.TextField(
        blank=True,
        help_text="Staff mobile numbers (E.164) for SMS alerts, comma separated.",
    )
    greeting = models.CharField(
        max_length=300,
        blank=True,
        help_text="Roxy's first words. Leave blank for a greeting built from the name.",
    )
    extra_instructions = models.TextField(
        blank=True, help_text="Added to Roxy's prompt."
    )
    faq = models.TextField("FAQ", blank=True)
    policies = models.TextField(
        blank=True, help_text="Cancellation, deposits, parking..."
    )
    data_retention_days = models.PositiveIntegerField(
        default=365,
        help_text="Transcripts, recordings and raw payloads are purged after this.",
    )
    is_active = models.BooleanField(default=True)

    objects = BusinessQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "businesses"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_now(self) -> dt.datetime:
        return timezone.now().astimezone(self.tzinfo)

    @property
    def notification_email_list(self) -> list[str]:
        return split_recipients(self.notification_emails)

    @property
    def notification_phone_list(self) -> list[str]:
        return split_recipients(self.notification_phones)


class VapiPhoneNumber(TimeStampedModel):
    """A VAPI phone number; calls to it are answered as its business."""

    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="phone_numbers"
    )
    vapi_phone_number_id = models.CharField(
        "VAPI phone number id", max_length=64, unique=True
    )
    number = models.CharField(
        max_length=20, blank=True, db_index=True, help_text="E.164"
    )
    label = models.CharField(max_length=80, blank=True)

    class Meta:
        verbose_name = "VAPI phone number"

    def __str__(self) -> str:
        return self.number or self.vapi_phone_number_id


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        FRONT_DESK = "front_desk", "Front desk"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        max_length=20, choices=Role.choices, default=Role.FRONT_DESK
    )

    class Meta:
        verbose_name = "staff member"
        verbose_name_plural = "staff"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "business"], name="unique_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.business} ({self.get_role_display()})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklyHours(models.Model):
    """An opening interval on one weekday, in local wall-clock time."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        abstract = True
        ordering = ["weekday", "opens_at"]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"
        )

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError("Closing time must be after opening time.")


class OpeningHours(WeeklyHours):
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="opening_hours"
    )

    class Meta(WeeklyHours.Meta):
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="opening_hours_close_after_open",
            )
        ]
        indexes = [models.Index(fields=["business", "weekday"])]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"
        )


class Closure(models.Model):
    """Whole days the business is shut (holidays), inclusive of both dates."""

    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="closures"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="closure_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on}–{self.ends_on} {self.reason}".strip()
