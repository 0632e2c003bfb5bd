"""Which of their businesses a member of several is looking at: all, or one they chose.

The choice lives in the session and is checked against the user's roles each time it
is read, so a role taken away, or a value from an old session, narrows nothing. It
narrows the lists and the dashboard, never what a link opens: a row of another of the
user's businesses, reached from an email or another page, still shows.
"""

from django import forms
from django.db import models

from apps.businesses import middleware
from apps.businesses.models import Business
from apps.businesses.tenancy import StaffAccess, access_for, businesses_for

SESSION_KEY = "voicehive_business"


class BusinessSwitchForm(forms.Form):
    """The header's choice: one of the user's businesses, or all of them."""

    business = forms.ModelChoiceField(
        queryset=Business.objects.none(),
        required=False,
        empty_label="All businesses",
        label="Business",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, prefix="switcher", **kwargs)
        # Only the user's own: a posted id of any other business is invalid.
        self.fields["business"].queryset = businesses_for(user).only("pk", "name")


def spans_several(access: StaffAccess) -> bool:
    """Whether the user reaches more than one business (operators reach them all)."""
    return access.is_operator or len(access.roles) > 1


def chosen_business_id(request) -> int | None:
    """The business the user narrowed their pages to, if it is still one of theirs."""
    session = getattr(request, "session", None)
    business_id = session.get(SESSION_KEY) if session is not None else None
    if business_id is None or business_id not in access_for(request.user).timezones:
        return None
    return business_id


def businesses_in_view(request) -> models.QuerySet[Business]:
    """The businesses the user's pages cover: the one chosen, else all of theirs."""
    businesses = businesses_for(request.user)
    chosen = chosen_business_id(request)
    return businesses.filter(pk=chosen) if chosen else businesses


def choose_business(request, business: Business | None) -> None:
    """Narrow the user's pages to `business` (one of theirs, from the form), or
    widen them to all their businesses."""
    if business is None:
        request.session.pop(SESSION_KEY, None)
        # The zone middleware falls back to the user's first business again.
        request.session.pop(middleware.SESSION_KEY, None)
        return
    request.session[SESSION_KEY] = business.pk
    # Pages of one business read their times in its zone.
    request.session[middleware.SESSION_KEY] = business.timezone


def menu(request) -> BusinessSwitchForm | None:
    """The switcher for the admin header: only for staff of several businesses."""
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return None
    if not spans_several(access_for(user)):
        return None
    chosen = chosen_business_id(request)
    return BusinessSwitchForm(user=user, initial={"business": chosen})
