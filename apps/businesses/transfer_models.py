"""Transfer destinations: who Roxy may put a caller through to, and when (issue #16).

Models of the businesses app (imported at the end of apps.businesses.models).
"""

from django.db import models

from apps.businesses.models import Business, WeeklyHours


class TransferDestination(models.Model):
    """Someone Roxy may put a caller through to: picked by what it is for, within its hours."""

    class Hours(models.TextChoices):
        OPENING = "opening", "During opening hours"
        ALWAYS = "always", "Any time"
        CUSTOM = "custom", "Its own hours (below)"

    class Mode(models.TextChoices):
        WARM = "warm", "Warm: Roxy briefs the person answering first"
        BLIND = "blind", "Blind: put straight through"

    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="transfer_destinations"
    )
    name = models.CharField(max_length=80, help_text="e.g. Front desk, Dr Lee.")
    number = models.CharField(max_length=20, help_text="E.164, e.g. +15125550100.")
    purpose = models.CharField(
        max_length=300,
        help_text="What callers are put through for, in their words: Roxy picks "
        "the destination by this.",
    )
    hours = models.CharField(
        max_length=10, choices=Hours.choices, default=Hours.OPENING
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BLIND)
    summary_instructions = models.CharField(
        max_length=300,
        blank=True,
        help_text="Warm transfers: what the person answering should hear about the "
        "call (blank: who is calling and what they want).",
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "name"], name="unique_transfer_destination_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class TransferHours(WeeklyHours):
    tenant_path = "destination__business"

    destination = models.ForeignKey(
        TransferDestination, on_delete=models.CASCADE, related_name="custom_hours"
    )

    class Meta(WeeklyHours.Meta):
        verbose_name_plural = "transfer hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="transfer_hours_close_after_open",
            )
        ]
