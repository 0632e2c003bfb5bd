"""Retention: each business's old transcripts, recordings, texts and raw payloads blanked."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.businesses.models import Business
from apps.calls.models import PURGED, Call, ToolInvocation, WebhookEvent
from apps.notifications.models import Notification
from apps.texting.models import InboundText

Progress = Callable[[int, int], None]

PURGED_TEXT = "[purged]"
BATCH_SIZE = 1000
# Calls and events that reached no business (an unknown number) keep the default.
UNASSIGNED_RETENTION_DAYS = Business._meta.get_field("data_retention_days").default
# Still to be delivered: their bodies are needed, whatever their age.
_IN_FLIGHT = (Notification.Status.QUEUED, Notification.Status.SENDING)


@dataclass
class PurgeTarget:
    """One table's rows past retention in one business, and what they become."""

    label: str
    rows: QuerySet
    changes: dict


@dataclass
class PurgeReport:
    """How many rows of each table a purge blanked (or would), per business."""

    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)  # one line per business
    businesses: int = 0

    def add(self, label: str, count: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + count

    def summary(self) -> str:
        verb = "Would purge" if self.dry_run else "Purged"
        counts = ", ".join(f"{n} {label}" for label, n in self.counts.items())
        return (
            f"{verb} {counts or 'nothing'} past retention in "
            f"{self.businesses} business(es); counts, durations, costs and links kept."
        )


def purge_call_data(
    *,
    business: Business | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> PurgeReport:
    """Blank transcripts, recordings, raw payloads, tool arguments, sent notification
    bodies (texts to customers among them) and customers' texts older than each
    business's retention, in batches; each call is stamped
    with purged_at. Rows, counts and links stay. Idempotent: purged rows are not
    matched again."""
    now = now or timezone.now()
    report = PurgeReport(dry_run=dry_run)
    plans = _purge_plans(business, now=now)
    totals = [[target.rows.count() for target in targets] for _, targets in plans]
    total, done = sum(map(sum, totals)), 0
    for (heading, targets), counts in zip(plans, totals, strict=True):
        report.businesses += heading is not None
        if heading is not None or any(counts):
            line = ", ".join(
                f"{n} {t.label}" for t, n in zip(targets, counts, strict=True)
            )
            report.details.append(f"{heading or 'calls to no business'}: {line}")
        for target, count in zip(targets, counts, strict=True):
            report.add(target.label, count)
            if not dry_run and count:
                done = _update_in_batches(
                    target,
                    batch_size=batch_size,
                    done=done,
                    total=total,
                    progress=progress,
                )
    return report


def _purge_plans(
    business: Business | None, *, now: dt.datetime
) -> list[tuple[str | None, list[PurgeTarget]]]:
    businesses = [business] if business else Business.objects.order_by("slug")
    plans = []
    for each in businesses:
        cutoff = now - dt.timedelta(days=each.data_retention_days)
        heading = (
            f"{each.slug} ({each.data_retention_days} days, before {cutoff:%Y-%m-%d})"
        )
        plans.append((heading, _business_targets(each, cutoff=cutoff, now=now)))
    if business is None:
        cutoff = now - dt.timedelta(days=UNASSIGNED_RETENTION_DAYS)
        plans.append((None, _unassigned_targets(cutoff=cutoff, now=now)))
    return plans


def _business_targets(
    business: Business, *, cutoff: dt.datetime, now: dt.datetime
) -> list[PurgeTarget]:
    calls = Call.objects.filter(business=business)
    # An event whose processing failed before its call existed has only the VAPI id.
    events = Q(call__business=business) | Q(
        call__isnull=True, vapi_call_id__in=calls.values("vapi_call_id")
    )
    tools = Q(business=business) | Q(business__isnull=True, call__business=business)
    return _targets(
        calls=calls,
        events=WebhookEvent.objects.filter(events),
        tools=ToolInvocation.objects.filter(tools),
        notifications=Notification.objects.filter(business=business),
        texts=InboundText.objects.filter(business=business),
        cutoff=cutoff,
        now=now,
    )


def _unassigned_targets(*, cutoff: dt.datetime, now: dt.datetime) -> list[PurgeTarget]:
    known = Call.objects.filter(business__isnull=False).values("vapi_call_id")
    events = Q(call__isnull=False, call__business__isnull=True) | (
        Q(call__isnull=True) & ~Q(vapi_call_id__in=known)
    )
    tools = Q(business__isnull=True) & (
        Q(call__isnull=True) | Q(call__business__isnull=True)
    )
    return _targets(
        calls=Call.objects.filter(business__isnull=True),
        events=WebhookEvent.objects.filter(events),
        tools=ToolInvocation.objects.filter(tools),
        notifications=Notification.objects.none(),
        # Texts to a number no business owns, kept for operators this long.
        texts=InboundText.objects.filter(business__isnull=True),
        cutoff=cutoff,
        now=now,
    )


def _targets(
    *,
    calls,
    events,
    tools,
    notifications,
    texts,
    cutoff: dt.datetime,
    now: dt.datetime,
) -> list[PurgeTarget]:
    # A call's age is when it started; one VAPI never reported started is as old
    # as its row.
    old_call = Q(started_at__lt=cutoff) | Q(
        started_at__isnull=True, created_at__lt=cutoff
    )
    return [
        PurgeTarget(
            "call(s)",
            calls.filter(old_call, purged_at__isnull=True),
            {
                "transcript": "",
                "messages": [],
                "recording_url": "",
                "stereo_recording_url": "",
                "purged_at": now,
                "purge_reason": Call.PurgeReason.RETENTION,
                "updated_at": now,
            },
        ),
        PurgeTarget(
            "webhook event(s)",
            events.filter(received_at__lt=cutoff).exclude(payload=PURGED),
            {"payload": PURGED, "response": PURGED},
        ),
        PurgeTarget(
            "tool invocation(s)",
            tools.filter(created_at__lt=cutoff).exclude(arguments=PURGED),
            {"arguments": PURGED, "result": ""},
        ),
        PurgeTarget(
            "notification(s)",
            notifications.filter(created_at__lt=cutoff)
            .exclude(status__in=_IN_FLIGHT)
            .exclude(body=PURGED_TEXT),
            {
                "subject": "",
                "body": PURGED_TEXT,
                "html_body": "",
                "attachments": [],
                "updated_at": now,
            },
        ),
        # The row stays (who texted when, what it was taken for and what was done);
        # the words and Twilio's raw request, which repeats them, go.
        PurgeTarget(
            "inbound text(s)",
            texts.filter(received_at__lt=cutoff).exclude(body=PURGED_TEXT),
            {"body": PURGED_TEXT, "payload": PURGED},
        ),
    ]


def _update_in_batches(
    target: PurgeTarget,
    *,
    batch_size: int,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    """Blank the target's rows batch by batch, each batch its own short transaction."""
    last_pk = 0
    while True:
        with transaction.atomic():
            pks = list(
                target.rows.filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not pks:
                return done
            target.rows.model.objects.filter(pk__in=pks).update(**target.changes)
        last_pk, done = pks[-1], done + len(pks)
        if progress is not None:
            progress(done, total)
