"""The front desk's pages, inside the staff admin: the calendar and booking by staff."""

from django.urls import path

from apps.frontdesk import booking_views, calendar_views

app_name = "frontdesk"

urlpatterns = [
    path("calendar/", calendar_views.calendar, name="calendar"),
    path(
        "calendar/move/<int:appointment_id>/",
        calendar_views.move_appointment,
        name="move-appointment",
    ),
    path("book/", booking_views.book, name="book"),
    path("book/slots/", booking_views.free_slots, name="free-slots"),
    path("book/customers/", booking_views.find_customers, name="find-customers"),
]
