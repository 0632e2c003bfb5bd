"""Calls as VAPI reports them, their raw webhook events, and the tools Roxy ran."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from apps.core.models import TimeStampedModel
from apps.core.phones import format_phone

# What a purged raw payload, answer or tool argument becomes (retention, erasure,
# and a message arriving for a call already purged).
PURGED = {"purged": True}


class CallQuerySet(models.QuerySet):
    def ended(self):
        return self.filter(status=Call.Status.ENDED)

    def needing_analysis(self):
        return self.filter(analysis_status=Call.AnalysisStatus.PENDING)

    def due_for_analysis(self, now: dt.datetime):
        """PENDING calls not waiting out a retry delay."""
        return self.needing_analysis().filter(
            models.Q(analysis_retry_at__isnull=True)
            | models.Q(analysis_retry_at__lte=now)
        )

    def awaiting_vapi_deletion(self, reasons: tuple[str, ...]):
        """Calls purged for one of `reasons` whose copy VAPI still holds."""
        return self.filter(
            purged_at__isnull=False,
            purge_reason__in=reasons,
            vapi_deleted_at__isnull=True,
        ).exclude(vapi_call_id="")

    def declined_recording_at_vapi(self):
        """Calls whose caller declined recording, their report on file (it queued the
        analysis), whose copy (the recording with it) VAPI still holds."""
        return (
            self.filter(
                recording_declined_at__isnull=False, vapi_deleted_at__isnull=True
            )
            .exclude(analysis_status=Call.AnalysisStatus.NOT_STARTED)
            .exclude(vapi_call_id="")
        )


class Call(TimeStampedModel):
    class Type(models.TextChoices):
        INBOUND = "inboundPhoneCall", "Inbound phone call"
        OUTBOUND = "outboundPhoneCall", "Outbound phone call"
        WEB = "webCall", "Web call"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        # Ordered as a call moves: a later status never goes back to an earlier one.
        QUEUED = "queued", "Queued"
        RINGING = "ringing", "Ringing"
        IN_PROGRESS = "in-progress", "In progress"
        FORWARDING = "forwarding", "Forwarding"
        ENDED = "ended", "Ended"

    class AnalysisStatus(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    class TransferStatus(models.TextChoices):
        # From VAPI's transfer-update, the forwarding status and the ended reason.
        REQUESTED = "requested", "Transfer started"
        CONNECTED = "connected", "Connected"
        NO_ANSWER = "no_answer", "No answer"
        BUSY = "busy", "Busy"
        FAILED = "failed", "Failed"
        FELL_BACK = "fell_back", "Failed; Roxy took a message"

    class PurgeReason(models.TextChoices):
        RETENTION = "retention", "Retention policy"
        ERASURE = "erasure", "Caller's erasure request"

    business = models.ForeignKey(
        "businesses.Business",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calls",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
    )
    vapi_call_id = models.CharField("VAPI call id", max_length=64, unique=True)
    type = models.CharField(max_length=32, choices=Type.choices, default=Type.INBOUND)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RINGING
    )
    caller_number = models.CharField(max_length=32, blank=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    ended_reason = models.CharField(max_length=200, blank=True)
    has_hang = models.BooleanField(
        default=False,
        help_text="VAPI reported Roxy silent for seconds during this call.",
    )
    # Where Roxy put the caller through, and how it went (issue #16).
    transfer_status = models.CharField(
        max_length=20, choices=TransferStatus.choices, blank=True
    )
    transfer_destination = models.CharField(max_length=120, blank=True)
    transfer_updated_at = models.DateTimeField(null=True, blank=True)
    # The caller said no to recording: the recording is neither kept here nor at VAPI.
    recording_declined_at = models.DateTimeField(null=True, blank=True)
    # The language the call is in (issue #16): the business's default when Roxy
    # answers, then what VAPI's language-change-detected says. Tool answers are
    # given in it, and texts and emails to the caller follow it.
    language = models.CharField(max_length=8, blank=True)
    # What VAPI recorded.
    transcript = models.TextField(blank=True)
    messages = models.JSONField(default=list, blank=True)
    recording_url = models.URLField(max_length=1000, blank=True)
    stereo_recording_url = models.URLField(max_length=1000, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    cost_breakdown = models.JSONField(default=dict, blank=True)
    vapi_summary = models.TextField("VAPI summary", blank=True)
    vapi_structured_data = models.JSONField(
        "VAPI structured data", default=dict, blank=True
    )
    vapi_success_evaluation = models.CharField(
        "VAPI success evaluation", max_length=200, blank=True
    )
    # Our own post-call analysis.
    analysis_status = models.CharField(
        max_length=20,
        choices=AnalysisStatus.choices,
        default=AnalysisStatus.NOT_STARTED,
    )
    analysis_requested_at = models.DateTimeField(null=True, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)
    analysis_error = models.TextField(blank=True)
    # Transient failures (OpenAI down, 429, 5xx): tries so far in this request, when
    # the next may run (the sweep waits for it), and since when it has been failing.
    analysis_attempts = models.PositiveSmallIntegerField(default=0)
    analysis_retry_at = models.DateTimeField(null=True, blank=True)
    analysis_failing_since = models.DateTimeField(null=True, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    summary = models.TextField(blank=True)
    intent = models.CharField(max_length=30, blank=True)
    sentiment = models.CharField(max_length=20, blank=True)
    lead_score = models.PositiveSmallIntegerField(null=True, blank=True)
    analysis = models.JSONField(default=dict, blank=True)
    analysis_usage = models.JSONField(default=dict, blank=True)
    # Set once the transcript and recordings are blanked, so the retention purge never
    # matches the call again and staff can tell a purged call from an empty one.
    purged_at = models.DateTimeField(null=True, blank=True)
    purge_reason = models.CharField(
        max_length=20, choices=PurgeReason.choices, blank=True
    )
    # VAPI keeps its own copy of every call (recording, transcript) until asked to
    # delete it: set once VAPI says it is gone. vapi_delete_requested_at is when the
    # worker was last asked; the sweep asks for the longest-waiting calls first, so
    # calls VAPI keeps refusing cannot hold up the others.
    vapi_deleted_at = models.DateTimeField("deleted at VAPI", null=True, blank=True)
    vapi_delete_requested_at = models.DateTimeField(null=True, blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["business", "-created_at"]),
            models.Index(fields=["analysis_status", "analysis_requested_at"]),
            # The nightly retention purge looks for each business's calls past a
            # cutoff and not yet purged. Without this it reads every call the business
            # ever had: 2.6 s for 20 businesses' 1M calls on PostgreSQL, growing with
            # history; 0.05 s with it. Purged calls leave it, so it stays small.
            models.Index(
                fields=["business", "started_at"],
                condition=models.Q(purged_at__isnull=True),
                name="calls_call_unpurged_idx",
            ),
            # The sweep that deletes VAPI's copies looks for purged calls VAPI still
            # holds; deleted ones leave the index. Retention-purged calls stay in it
            # while VAPI_DELETE_PURGED_CALLS is off, behind the erased ones.
            models.Index(
                fields=["purge_reason", "vapi_delete_requested_at"],
                condition=models.Q(
                    purged_at__isnull=False, vapi_deleted_at__isnull=True
                ),
                name="calls_call_vapi_undeleted_idx",
            ),
        ]

    def __str__(self) -> str:
        moment = self.local_start()
        if moment is None:
            return self.caller_label
        return f"{self.caller_label} · {date_format(moment, 'DATETIME_FORMAT')}"

    @property
    def caller_label(self) -> str:
        """Who called, as staff know them: the lead's name, else the number."""
        if self.lead_id and self.lead.name:
            return self.lead.name
        if self.caller_number:
            return format_phone(self.caller_number)
        return "Unknown caller"

    def local_start(self) -> dt.datetime | None:
        """When the call began, in its business's zone (a call VAPI never started
        reads its creation time)."""
        moment = self.started_at or self.created_at
        if moment is None:
            return None
        zone = self.business.tzinfo if self.business_id else None
        return timezone.localtime(moment, zone)

    def cost_lines(self) -> list["CostLine"]:
        """VAPI's cost breakdown as staff read it: one line per component, then the
        total; empty when VAPI reported none."""
        return cost_lines(self.cost_breakdown, total=self.cost)

    def mark_deleted_at_vapi(self) -> None:
        """Record that VAPI no longer holds the call. Idempotent: the first stamp stays."""
        now = timezone.now()
        Call.objects.filter(pk=self.pk, vapi_deleted_at__isnull=True).update(
            vapi_deleted_at=now, updated_at=now
        )

    def advance_status(self, status: str) -> bool:
        """Move to `status` if it is a known, later one; VAPI's messages arrive out of order."""
        order = self.Status.values
        if status not in order or order.index(status) <= order.index(self.status):
            return False
        self.status = status
        return True


@dataclass(frozen=True)
class CostLine:
    """One part of what a call cost: what it is, how much of it was used, in USD."""

    label: str
    usage: str
    amount: Decimal | None


# VAPI's costBreakdown keys, as staff read them, with the type of the `costs` item
# that says how much was used (minutes, tokens, characters) and from whom.
COST_COMPONENTS = (
    ("transport", "Phone line", "transport"),
    ("stt", "Speech to text", "transcriber"),
    ("llm", "Language model", "model"),
    ("tts", "Text to speech", "voice"),
    ("vapi", "VAPI platform", "vapi"),
    ("chat", "Chat", "chat"),
)
# VAPI's own post-call analysis is in the total but not in the components above.
ANALYSIS_PARTS = {
    "summary": "summary",
    "structuredData": "structured data",
    "successEvaluation": "success evaluation",
    "structuredOutput": "structured outputs",
}


def cost_lines(breakdown: dict, *, total: Decimal | None = None) -> list[CostLine]:
    """`Call.cost_breakdown` (VAPI's costBreakdown plus its `costs` list) as lines."""
    if not isinstance(breakdown, dict) or not breakdown:
        return []
    items: dict[str, dict] = {}
    for item in breakdown.get("costs") or []:
        if isinstance(item, dict):
            items.setdefault(item.get("type"), item)
    lines = [
        CostLine(label, _usage(kind, items.get(kind, {}), breakdown), _usd(amount))
        for key, label, kind in COST_COMPONENTS
        if (amount := breakdown.get(key)) is not None or kind in items
    ]
    analysis = breakdown.get("analysisCostBreakdown")
    if isinstance(analysis, dict):
        parts = [name for key, name in ANALYSIS_PARTS.items() if key in analysis]
        spent = [_usd(analysis[key]) for key in ANALYSIS_PARTS if key in analysis]
        if parts:
            amount = sum((cost or Decimal(0) for cost in spent), Decimal(0))
            lines.append(CostLine("VAPI's analysis", ", ".join(parts), amount))
    lines.append(CostLine("Total", "", _usd(breakdown.get("total", total))))
    return lines


def _usage(kind: str, item: dict, breakdown: dict) -> str:
    if kind == "model":
        prompt = item.get("promptTokens", breakdown.get("llmPromptTokens"))
        completion = item.get("completionTokens", breakdown.get("llmCompletionTokens"))
        used = (
            f"{_count(prompt)} prompt + {_count(completion)} completion tokens"
            if prompt is not None or completion is not None
            else ""
        )
    elif kind == "voice":
        characters = item.get("characters", breakdown.get("ttsCharacters"))
        used = f"{_count(characters)} characters" if characters is not None else ""
    else:
        minutes = item.get("minutes")
        used = f"{minutes:.2f} min" if isinstance(minutes, int | float) else ""
    return " · ".join(part for part in (used, _provider(kind, item)) if part)


def _provider(kind: str, item: dict) -> str:
    if kind == "transport":
        return str(item.get("provider") or "")
    vendor = item.get(kind)
    if not isinstance(vendor, dict):
        return ""
    names = (vendor.get("provider"), vendor.get("voiceId") or vendor.get("model"))
    return " ".join(str(name) for name in names if name)


def _count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _usd(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


# Raw events and tool runs: a module of their own, kept under 400 lines.
from apps.calls.event_models import ToolInvocation, WebhookEvent  # noqa: E402, F401
