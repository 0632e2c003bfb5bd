"""Abstract bases shared by every app."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ProviderHealth(models.Model):
    """What the worker knows of one outside provider (OpenAI, email, SMS): one row each.

    Written by the tasks that call the provider, read by them and by the sweeps, so
    an outage is noticed once and waited out together instead of guessed per task.
    """

    class State(models.TextChoices):
        UP = "up", "Up"
        DOWN = "down", "Down"

    provider = models.CharField(max_length=40, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.UP)
    failures = models.PositiveIntegerField(
        default=0, help_text="Transient failures in a row since the last success."
    )
    down_since = models.DateTimeField(null=True, blank=True)
    next_probe_at = models.DateTimeField(null=True, blank=True)
    # Set when the provider comes back; the sweep clears it as it releases the work
    # that waited out the outage, so that release happens once, even after a crash.
    release_pending = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "provider health"

    def __str__(self) -> str:
        return f"{self.provider}: {self.state}"
