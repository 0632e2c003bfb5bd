"""The tenant: a business, the VAPI numbers that reach it, its hours and its staff."""

import datetime as dt
import zoneinfo
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    validate_email,
)
from django.db import models
from django.utils import timezone

from apps.businesses.language_choices import (  # noqa: F401 (re-exported)
    Language,
    VoiceProvider,
    default_language,
    default_languages,
    validate_languages,
)
from apps.core.models import TimeStampedModel


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not an IANA time zone, e.g. America/Chicago."
        )


def validate_email_list(value: str) -> None:
    for address in split_recipients(value):
        validate_email(address)


def validate_five_minute_multiple(value: int) -> None:
    if value % 5:
        raise ValidationError("Use a multiple of 5 minutes.")


def split_recipients(value: str) -> list[str]:
    return [
        part.strip() for part in value.replace("\n", ",").split(",") if part.strip()
    ]


FAQ_MAX_CHARS = 12_000


# Callables, so a migration records the rule and not one deployment's value.
def default_slot_minutes() -> int:
    return settings.SCHEDULING_SLOT_MINUTES


def default_min_notice_minutes() -> int:
    return settings.SCHEDULING_MIN_NOTICE_MINUTES


def default_booking_horizon_days() -> int:
    return settings.SCHEDULING_MAX_DAYS_AHEAD


def default_reminder_lead_hours() -> int:
    return settings.REMINDER_LEAD_HOURS


def default_quiet_hours_start() -> dt.time:
    return dt.time.fromisoformat(settings.QUIET_HOURS_START)


def default_quiet_hours_end() -> dt.time:
    return dt.time.fromisoformat(settings.QUIET_HOURS_END)


def default_slots_offered() -> int:
    return settings.ROXY_SLOTS_OFFERED


class LanguageListField(models.JSONField):
    """A list of Language codes, edited as checkboxes."""

    def formfield(self, **kwargs):
        from django import forms

        return forms.TypedMultipleChoiceField(
            choices=Language.choices,
            widget=forms.CheckboxSelectMultiple,
            required=not self.blank,
            label=kwargs.get("label", self.verbose_name.capitalize()),
            help_text=self.help_text,
            initial=self.get_default(),
        )


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
    # Capped so the FAQ stays in Roxy's prompt: at 12,000 characters (about 150
    # questions) the prompt is ~4,000 tokens, cached by OpenAI after the first turn,
    # where a custom knowledge base would add a blocking round trip to every turn
    # (README, "Roxy's FAQ"; bench/faq_prompt_size.py).
    faq = models.TextField(
        "FAQ",
        blank=True,
        validators=[MaxLengthValidator(FAQ_MAX_CHARS)],
        help_text="Questions callers ask and their answers; at most 12,000 characters.",
    )
    policies = models.TextField(
        blank=True, help_text="Cancellation, deposits, parking..."
    )
    data_retention_days = models.PositiveIntegerField(
        default=365,
        help_text="Transcripts, recordings and raw payloads are purged after this.",
    )
    is_active = models.BooleanField(default=True)

    # The business's own rules (issue #16). New businesses start from the
    # deployment's settings; each business then keeps its own.
    slot_minutes = models.PositiveSmallIntegerField(
        "slot step (minutes)",
        default=default_slot_minutes,
        validators=[
            MinValueValidator(5),
            MaxValueValidator(240),
            validate_five_minute_multiple,
        ],
        help_text="Offered start times step this much from each opening (a "
        "multiple of 5, the calendar's grid).",
    )
    min_notice_minutes = models.PositiveIntegerField(
        "minimum notice (minutes)",
        default=default_min_notice_minutes,
        validators=[MaxValueValidator(60 * 24 * 14)],
        help_text="Nothing is offered sooner than this from now.",
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        "booking horizon (days)",
        default=default_booking_horizon_days,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="Nothing is offered further ahead than this.",
    )
    default_buffer_minutes = models.PositiveSmallIntegerField(
        "default clean-up buffer (minutes)",
        default=0,
        validators=[MaxValueValidator(240)],
        help_text="The buffer of services the business file adds without one.",
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(
        "reminder lead time (hours)",
        default=default_reminder_lead_hours,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text="Callers are reminded this long before their appointment.",
    )
    quiet_hours_start = models.TimeField(
        default=default_quiet_hours_start,
        help_text="Texts to callers wait from this local time...",
    )
    quiet_hours_end = models.TimeField(
        default=default_quiet_hours_end,
        help_text="...until this one. Equal times: no quiet hours.",
    )
    slots_offered = models.PositiveSmallIntegerField(
        default=default_slots_offered,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="How many free times Roxy offers at once.",
    )

    class AfterHours(models.TextChoices):
        ANSWER = "answer", "Answer and book as usual"
        MESSAGES = "messages", "Take messages only"
        FORWARD_URGENT = (
            "forward_urgent",
            "Forward urgent matters to the on-call number",
        )

    after_hours_mode = models.CharField(
        "when closed",
        max_length=20,
        choices=AfterHours.choices,
        default=AfterHours.ANSWER,
        help_text="What Roxy does outside opening hours.",
    )
    on_call_number = models.CharField(
        max_length=20,
        blank=True,
        help_text="E.164. Urgent after-hours callers are forwarded here.",
    )
    recording_consent_required = models.BooleanField(
        default=False,
        help_text="Roxy asks every caller to agree to recording before anything "
        "else; a caller who declines is not kept on record (see the README).",
    )
    recording_consent_notice = models.CharField(
        max_length=300,
        blank=True,
        help_text="Spoken at the start of every call. Blank: the standard notice "
        "when consent is required, none otherwise.",
    )

    # Languages, voice and persona (issue #16). Blank voice fields fall back to
    # the deployment's ROXY_VOICE_* settings.
    languages = LanguageListField(
        default=default_languages,
        validators=[validate_languages],
        help_text="The languages Roxy speaks; she switches when the caller does.",
    )
    default_language = models.CharField(
        max_length=8,
        choices=Language.choices,
        default=default_language,
        help_text="What Roxy greets callers in; also texts and emails by default.",
    )
    voice_provider = models.CharField(
        max_length=20,
        choices=VoiceProvider.choices,
        blank=True,
        help_text="Blank: the deployment's voice (ROXY_VOICE_PROVIDER).",
    )
    voice_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The provider's voice id or preset name, e.g. sarah (ElevenLabs).",
    )
    voice_model = models.CharField(
        max_length=60,
        blank=True,
        help_text="The provider's speech model; blank: the provider's default.",
    )
    assistant_name = models.CharField(
        max_length=40,
        default="Roxy",
        help_text="What the receptionist calls herself on the phone.",
    )

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

    def language_for(self, recorded: str) -> str:
        """`recorded` (a call's language) if the business speaks it, else its default."""
        spoken = self.spoken_languages()
        return recorded if recorded in spoken else spoken[0]

    def spoken_languages(self) -> list[str]:
        """The business's languages, default first, unknown codes left out."""
        chosen = [code for code in self.languages or [] if code in Language.values]
        default = self.default_language
        if default not in Language.values:
            default = chosen[0] if chosen else default_language()
        return [default, *(code for code in chosen if code != default)]

    def clean(self) -> None:
        super().clean()
        self.clean_languages()

    def clean_languages(self) -> None:
        """The default must be one of the languages."""
        if self.languages and self.default_language not in self.languages:
            raise ValidationError(
                {"default_language": "The default must be one of the languages."}
            )


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


# Hours, closures and where Roxy puts callers through: modules of their own, kept
# under 400 lines. Hours first: transfer hours build on WeeklyHours.
from apps.businesses.hours_models import (  # noqa: E402, F401
    Closure,
    OpeningHours,
    Weekday,
    WeeklyHours,
)
from apps.businesses.transfer_models import (  # noqa: E402, F401
    TransferDestination,
    TransferHours,
)
