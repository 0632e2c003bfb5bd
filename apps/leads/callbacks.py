"""Callback requests as staff work them: when each is due, who owns it, done or open."""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from apps.businesses.models import Closure, OpeningHours
from apps.leads.models import CallbackRequest, Lead

Urgency = CallbackRequest.Urgency

URGENT_WITHIN = dt.timedelta(hours=1)
# What a request needs of a business day: one taken later than this before closing
# waits for the next day, and one taken before opening is due this long after it.
WORKING_MARGIN = dt.timedelta(hours=1)
# A business with no opening hours has no business day to aim at: plain clock time.
WITHOUT_HOURS = {
    Urgency.NORMAL: dt.timedelta(hours=4),
    Urgency.LOW: dt.timedelta(days=1),
}
LOOKAHEAD_DAYS = 14

BusinessDay = tuple[dt.datetime, dt.datetime]  # first opening, last closing


class CallbackError(ValueError):
    pass


def due_at_for(business, *, urgency: str, now: dt.datetime) -> dt.datetime:
    """When a request taken at `now` is due, from its urgency and the business's hours.

    Urgent: within the hour, open or not (its alert goes out by text too). Normal: by
    today's closing, or an hour into the next business day when today has under an
    hour left or is over. Low: by the close of the next business day.
    """
    if urgency == Urgency.URGENT:
        return now + URGENT_WITHIN
    days = _business_days(business, now)
    if not days:
        return now + WITHOUT_HOURS.get(urgency, WITHOUT_HOURS[Urgency.NORMAL])
    if urgency == Urgency.LOW:
        today = now.astimezone(business.tzinfo).date()
        later = [close for opens, close in days if opens.date() > today]
        return later[0] if later else days[-1][1]
    opens, closes = days[0]
    if opens <= now and closes - now >= WORKING_MARGIN:
        return closes
    if opens > now:
        return opens + WORKING_MARGIN
    return days[1][0] + WORKING_MARGIN if len(days) > 1 else closes


def _business_days(business, now: dt.datetime) -> list[BusinessDay]:
    """The business's open days from today for LOOKAHEAD_DAYS, as (first opening, last
    closing) in its zone, leaving out closures and a day already closed."""
    tz = business.tzinfo
    today = now.astimezone(tz).date()
    last = today + dt.timedelta(days=LOOKAHEAD_DAYS)
    hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, opens, closes in OpeningHours.objects.filter(
        business=business
    ).values_list("weekday", "opens_at", "closes_at"):
        hours.setdefault(weekday, []).append((opens, closes))
    closed = list(
        Closure.objects.filter(
            business=business, starts_on__lte=last, ends_on__gte=today
        ).values_list("starts_on", "ends_on")
    )
    days = []
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        spans = hours.get(day.weekday())
        if not spans or any(start <= day <= end for start, end in closed):
            continue
        opens = dt.datetime.combine(day, min(s[0] for s in spans), tzinfo=tz)
        closes = dt.datetime.combine(day, max(s[1] for s in spans), tzinfo=tz)
        if closes > now:
            days.append((opens, closes))
    return days


def staff_of(business_ids: Iterable[int]) -> models.QuerySet:
    """Active users holding a role at any of these businesses: who may own a request."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__business_id__in=business_ids)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def assign_callback_request(callback: CallbackRequest, *, to) -> CallbackRequest:
    """Give the request to `to` (None: to nobody). Raises CallbackError unless they
    hold a role at its business."""
    if (
        to is not None
        and not staff_of([callback.business_id]).filter(pk=to.pk).exists()
    ):
        raise CallbackError(f"{to} is not on the staff of {callback.business}.")
    callback.assigned_to = to
    callback.save(update_fields=["assigned_to", "updated_at"])
    return callback


def resolve_callback_request(callback: CallbackRequest) -> bool:
    """Mark an open request done as of now (resolved_at); False if it already was.
    Idempotent."""
    return _move(callback, CallbackRequest.Status.OPEN, CallbackRequest.Status.DONE)


def reopen_callback_request(callback: CallbackRequest) -> bool:
    """Put a done request back on the open list, clearing resolved_at; False if it
    was open. Idempotent."""
    return _move(callback, CallbackRequest.Status.DONE, CallbackRequest.Status.OPEN)


def _move(callback: CallbackRequest, before: str, after: str) -> bool:
    # Conditional, so two people pressing at once change it (and stamp it) once.
    now = timezone.now()
    resolved_at = now if after == CallbackRequest.Status.DONE else None
    moved = CallbackRequest.objects.filter(pk=callback.pk, status=before).update(
        status=after, resolved_at=resolved_at, updated_at=now
    )
    if moved:
        callback.status, callback.resolved_at = after, resolved_at
    return bool(moved)


@transaction.atomic
def request_callback(lead: Lead, *, by) -> tuple[CallbackRequest, bool]:
    """The lead's open callback request, or a new one owned by `by` (when on the
    business's staff) and due as a normal one; True when new. Raises CallbackError
    for a lead with no number."""
    # The lead's row lock keeps two clicks from making two requests.
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not lead.phone:
        raise CallbackError(f"{lead} has no phone number to call back.")
    existing = CallbackRequest.objects.open().filter(lead=lead).order_by("pk").first()
    if existing is not None:
        return existing, False
    owner = by if staff_of([lead.business_id]).filter(pk=by.pk).exists() else None
    callback = CallbackRequest.objects.create(
        business=lead.business,
        lead=lead,
        name=lead.name,
        callback_number=lead.phone,
        message=f"Call back, asked for by {by.get_full_name() or by.get_username()}.",
        assigned_to=owner,
        due_at=due_at_for(lead.business, urgency=Urgency.NORMAL, now=timezone.now()),
    )
    return callback, True
