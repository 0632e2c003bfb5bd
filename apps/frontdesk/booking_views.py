"""Booking by staff: the page, and the free times and customers it fetches as staff pick.

Every view sits behind the admin's login and works only with the businesses where
the user's role lets them add appointments (`booking.bookable_businesses`); an id of
anything else is a 404, so a guessed URL reveals nothing.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment
from apps.businesses import roles
from apps.frontdesk import booking
from apps.frontdesk.booking_forms import BookForm, Pick, PickForm, initial_time

PAGE = "admin/frontdesk/book.html"
SLOTS = "admin/frontdesk/book_slots.html"
CUSTOMERS = "admin/frontdesk/book_customers.html"


@require_http_methods(["GET", "POST"])
def _book(request):
    """The booking page: what and when, a free time (or another), the customer."""
    params = request.POST if request.method == "POST" else request.GET
    booking_now = request.method == "POST" and "book" in request.POST
    pick = _pick_form(request, params, lenient=not booking_now)
    choice = pick.choice
    if booking_now:
        form = BookForm(request.POST, choice=choice, user=request.user)
        if form.is_valid() and (appointment := _booked(request, form)):
            return redirect(_next_booking_url(appointment))
        times = _free_times(choice)
    else:
        times = _free_times(choice)
        initial = _initial(request, times, choice)
        form = BookForm(initial=initial, choice=choice, user=request.user)
    return TemplateResponse(request, PAGE, _page_context(request, pick, form, times))


@require_GET
def _free_slots(request):
    """The free times for a business, service, provider (or anyone) and day."""
    choice = _pick_form(request, request.GET).choice
    if choice is None:
        raise Http404("Nothing to look up.")
    context = _slots_context(choice, _free_times(choice), chosen="")
    return TemplateResponse(request, SLOTS, context)


@require_GET
def _find_customers(request):
    """The business's customers matching a name or phone number, to choose from."""
    business = (
        booking.bookable_businesses(request.user)
        .filter(pk=_id(request.GET.get("business")))
        .first()
    )
    if business is None or not booking.may_use_customers(
        request.user, business, roles.VIEW
    ):
        raise Http404("No such business.")
    query = request.GET.get("q", "")
    customers = booking.find_customers(business, query)
    return TemplateResponse(request, CUSTOMERS, _found(customers, query))


book = admin.site.admin_view(_book)
free_slots = admin.site.admin_view(_free_slots)
find_customers = admin.site.admin_view(_find_customers)


def _pick_form(request, params: QueryDict, *, lenient: bool = False) -> PickForm:
    businesses = booking.bookable_businesses(request.user)
    pick = PickForm(params, businesses=businesses, lenient=lenient)
    if pick.business is None:
        if not businesses.exists():
            raise PermissionDenied("Your role lets you book at no business.")
        raise Http404("No such business.")
    return pick


def _initial(request, times, choice: Pick | None) -> dict:
    """What the page was sent with; the calendar's `time` becomes its free slot when
    one is offered then."""
    if request.method == "POST":  # "Show free times" or "Find", without the script
        return request.POST.dict()
    initial = request.GET.dict()
    tz = choice.business.tzinfo if choice else None
    initial.update(initial_time(initial.pop("time", ""), times, tz))
    return initial


def _free_times(choice: Pick | None) -> list[booking.ProviderTimes]:
    if choice is None:
        return []
    return booking.free_times(choice.service, provider=choice.provider, day=choice.day)


def _booked(request, form: BookForm) -> Appointment | None:
    service, (provider, start_at) = form.choice.service, form.when
    try:
        appointment = booking.book_for_customer(
            service,
            provider=provider,
            start_at=start_at,
            customer=form.customer,
            notes=form.cleaned_data["notes"],
        )
    except appointment_services.SlotTakenError:
        form.add_error(None, f"{provider} was booked then a moment ago: choose again.")
        return None
    url = reverse("admin:appointments_appointment_change", args=[appointment.pk])
    messages.success(
        request,
        format_html(
            'Booked <a href="{}">{}</a> for {}.', url, appointment, appointment.lead
        ),
    )
    return appointment


def _next_booking_url(appointment: Appointment) -> str:
    """The same day's free times again, ready for the next customer."""
    day = appointment.start_at.astimezone(appointment.business.tzinfo).date()
    query = {
        "business": appointment.business_id,
        "service": appointment.service_id,
        "date": day.isoformat(),
    }
    return f"{reverse('frontdesk:book')}?{urlencode(query)}"


def _page_context(request, pick: PickForm, form: BookForm, times) -> dict:
    choice = pick.choice
    return {
        **admin.site.each_context(request),
        "title": "Book an appointment",
        "pick": pick,
        "form": form,
        **_slots_context(choice, times, chosen=form["slot"].value() or ""),
        **_customers_context(form),
    }


def _slots_context(choice: Pick | None, times, *, chosen: str) -> dict:
    return {"choice": choice, "times": times, "chosen_slot": chosen}


def _customers_context(form: BookForm) -> dict:
    """Customers found for the search, with the one chosen (or whose number a "new"
    customer turned out to have) kept at the top."""
    if not form.may_find:
        return {"customers": [], "may_find": False}
    business = form.choice.business
    query = form["q"].value() or ""
    customers = booking.find_customers(business, query)
    chosen = _chosen_lead(form)
    for pinned in (chosen, form.existing):
        if pinned is not None and all(c.pk != pinned.pk for c in customers):
            customers.insert(0, booking.as_customer(pinned))
    return {
        **_found(customers, query),
        "chosen_lead": chosen.pk if chosen is not None else None,
    }


def _found(customers: list[booking.Customer], query: str) -> dict:
    too_short = bool(query.strip()) and booking.customer_match(query) is None
    return {
        "customers": customers,
        "query": query,
        "too_short": too_short,
        "may_find": True,
    }


def _chosen_lead(form: BookForm):
    raw = _id(form["lead"].value())
    if raw is None:
        return None
    return booking.customers_of(form.choice.business).filter(pk=raw).first()


def _id(raw) -> int | None:
    return int(raw) if str(raw or "").isdigit() else None
