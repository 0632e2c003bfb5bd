"""What the calendar page shows, read from its query string and written back into
the links that page to another day, week or provider."""

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from apps.businesses.models import Business
from apps.businesses.tenancy import scope_to_user

APPOINTMENT = "appointments.appointment"
DAY, WEEK = "day", "week"
YEARS_EITHER_WAY = 100


def calendar_businesses(user) -> list[Business]:
    """The businesses whose appointments the user may see, by name."""
    businesses = scope_to_user(Business.objects.all(), user, label=APPOINTMENT)
    return list(
        businesses.only("pk", "name", "timezone", "slot_minutes").order_by("name", "pk")
    )


def chosen_business(businesses: list[Business], wanted: str | None) -> Business | None:
    """The business asked for if it is one of `businesses`, else the first (an id
    from the query string is only ever looked up among the user's own)."""
    by_id = {str(business.pk): business for business in businesses}
    return by_id.get(wanted or "") or (businesses[0] if businesses else None)


@dataclass(frozen=True)
class CalendarParams:
    business: Business
    day: dt.date
    view: str
    provider_id: int | None
    include_cancelled: bool

    @classmethod
    def parse(cls, query: QueryDict, business: Business) -> "CalendarParams":
        """Read the query string; anything malformed falls back to a default."""
        today = business.local_now().date()
        try:
            day = dt.date.fromisoformat(query.get("date", ""))
        except ValueError:
            day = today
        if abs(day.year - today.year) > YEARS_EITHER_WAY:
            day = today  # and the links a week on stay within the calendar's years
        provider = query.get("provider", "")
        return cls(
            business=business,
            day=day,
            view=DAY if query.get("view") == DAY else WEEK,
            provider_id=int(provider) if provider.isdigit() else None,
            include_cancelled=query.get("cancelled") == "1",
        )

    @property
    def days(self) -> list[dt.date]:
        if self.view == DAY:
            return [self.day]
        monday = self.day - dt.timedelta(days=self.day.weekday())
        return [monday + dt.timedelta(days=n) for n in range(7)]

    @property
    def step(self) -> dt.timedelta:
        return dt.timedelta(days=1 if self.view == DAY else 7)

    def url(self, **changes) -> str:
        """The calendar's address for these parameters with `changes` applied."""
        params = replace(self, **changes)
        query = {"business": params.business.pk, "date": params.day.isoformat()}
        query["view"] = params.view
        if params.provider_id is not None:
            query["provider"] = params.provider_id
        if params.include_cancelled:
            query["cancelled"] = "1"
        return f"{reverse('frontdesk:calendar')}?{urlencode(query)}"

    def links(self) -> dict[str, str]:
        """The toolbar's links: back, today, forward, and the other view."""
        today = self.business.local_now().date()
        return {
            "previous": self.url(day=self.day - self.step),
            "today": self.url(day=today),
            "next": self.url(day=self.day + self.step),
            "day": self.url(view=DAY),
            "week": self.url(view=WEEK),
            "cancelled": self.url(include_cancelled=not self.include_cancelled),
        }
