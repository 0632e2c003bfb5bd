"""The front desk calendar: a business's day or week, one column per provider, and
moving an appointment from it through the same service as Roxy's moves."""

from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme

from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment
from apps.businesses import roles, switcher
from apps.businesses.tenancy import access_for, scope_to_user
from apps.frontdesk.calendar import load_board
from apps.frontdesk.calendar_grid import STATUS_LABELS, grid_of
from apps.frontdesk.calendar_params import (
    APPOINTMENT,
    DAY,
    CalendarParams,
    calendar_businesses,
    chosen_business,
)
from apps.frontdesk.forms_calendar import MoveForm


def _calendar(request):
    businesses = calendar_businesses(request.user)
    # Without a business in the link, open on the one the header's switcher chose.
    wanted = request.GET.get("business") or str(
        switcher.chosen_business_id(request) or ""
    )
    business = chosen_business(businesses, wanted)
    context = {**admin.site.each_context(request), "title": "Calendar"}
    if business is None:
        return render(request, "admin/frontdesk/calendar.html", context)
    params = CalendarParams.parse(request.GET, business)
    board = load_board(
        business, params.days, include_cancelled=params.include_cancelled
    )
    context.update(_board_context(request, params, board, businesses))
    with timezone.override(business.tzinfo):
        return render(request, "admin/frontdesk/calendar.html", context)


def _board_context(request, params, board, businesses) -> dict:
    access = access_for(request.user)
    shown = [p for p in board.providers if p.pk == params.provider_id]
    may_move = access.allows(params.business.pk, APPOINTMENT, roles.CHANGE)
    grid = grid_of(
        board,
        provider_ids={p.pk for p in shown} or None,
        may_add=access.allows(params.business.pk, APPOINTMENT, roles.ADD),
        may_move=may_move,
        here=request.get_full_path(),
        day_url=lambda day: params.url(day=day, view=DAY),
    )
    return {
        "title": f"Calendar: {params.business.name}",
        "business": params.business,
        "businesses": businesses,
        "params": params,
        "links": params.links(),
        "board": board,
        "grid": grid,
        "shown_provider": shown[0] if shown else None,
        "first_provider": board.providers[0] if board.providers else None,
        "may_move": may_move,
        "statuses": STATUS_LABELS.items(),
        "today": params.business.local_now().date(),
    }


def _move_appointment(request, appointment_id):
    appointment = get_object_or_404(_movable(request.user), pk=appointment_id)
    form = MoveForm(request.POST or None, appointment=appointment)
    if request.method == "POST" and form.is_valid():
        try:
            moved = appointment_services.reschedule_appointment(
                appointment,
                start_at=form.cleaned_data["start_at"],
                provider=form.cleaned_data["provider"],
                by_staff=True,
            )
        except (
            appointment_services.SlotTakenError,
            appointment_services.AppointmentNotChangeableError,
        ) as exc:
            form.add_error(None, _refusal(exc, form))
        else:
            messages.success(request, _moved_message(moved))
            return redirect(_back_to_calendar(request, moved))
    return _move_page(request, appointment, form)


def _movable(user):
    """Appointments of the businesses where the user's role may change them."""
    return scope_to_user(
        Appointment.objects.select_related("business", "service", "provider", "lead"),
        user,
        actions=(roles.CHANGE,),
    )


def _refusal(exc: Exception, form: MoveForm) -> str:
    if isinstance(exc, appointment_services.SlotTakenError):
        provider = form.cleaned_data["provider"]
        return f"{provider} already has an appointment then. Pick another time."
    return str(exc)


def _move_page(request, appointment: Appointment, form: MoveForm):
    business = appointment.business
    local = appointment.start_at.astimezone(business.tzinfo)
    context = {
        **admin.site.each_context(request),
        "title": "Move appointment",
        "appointment": appointment,
        "when": date_format(local, "l j F Y, H:i"),
        "form": form,
        "next": _safe_next(request) or _calendar_url(appointment),
        "change_url": reverse(
            "admin:appointments_appointment_change", args=[appointment.pk]
        ),
    }
    with timezone.override(business.tzinfo):
        return render(request, "admin/frontdesk/calendar_move.html", context)


def _moved_message(appointment: Appointment) -> str:
    local = appointment.start_at.astimezone(appointment.business.tzinfo)
    who = f" for {appointment.lead.name}" if appointment.lead else ""
    when = date_format(local, "D j M, H:i")
    return f"Moved {appointment.service}{who} to {when} with {appointment.provider}."


def _back_to_calendar(request, appointment: Appointment) -> str:
    """The calendar page the move came from, turned to the appointment's new day
    (and to its new provider when that page showed one provider only)."""
    came_from = _safe_next(request)
    query = QueryDict(urlsplit(came_from).query if came_from else "", mutable=True)
    local_day = appointment.start_at.astimezone(appointment.business.tzinfo).date()
    query["business"] = str(appointment.business_id)
    query["date"] = local_day.isoformat()
    if "provider" in query:
        query["provider"] = str(appointment.provider_id)
    return f"{reverse('frontdesk:calendar')}?{query.urlencode()}"


def _calendar_url(appointment: Appointment) -> str:
    local_day = appointment.start_at.astimezone(appointment.business.tzinfo).date()
    return (
        f"{reverse('frontdesk:calendar')}?business={appointment.business_id}"
        f"&date={local_day.isoformat()}"
    )


def _safe_next(request) -> str:
    """The `next` address if it is this site's calendar, else empty."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and urlsplit(wanted).path == reverse("frontdesk:calendar"):
        return wanted
    return ""


calendar = admin.site.admin_view(_calendar)
move_appointment = admin.site.admin_view(_move_appointment)
