"""Opening hours and closures of a business, in its local wall-clock time.

Models of the businesses app (imported at the end of apps.businesses.models).
"""

from django.core.exceptions import ValidationError
from django.db import models

from apps.businesses.models import Business


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
