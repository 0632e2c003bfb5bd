"""Staff read and enter times in their business's own time zone."""

import zoneinfo

from django.utils import timezone

from apps.businesses.models import Membership

SESSION_KEY = "voicehive_timezone"


class BusinessTimezoneMiddleware:
    """Activate the time zone of the staff member's (first) business for the request.

    It is looked up once per session; staff without a membership stay on UTC.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tzname = self._timezone_for(request)
        if tzname:
            timezone.activate(zoneinfo.ZoneInfo(tzname))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def _timezone_for(self, request) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return ""
        if SESSION_KEY not in request.session:
            membership = (
                Membership.objects.filter(user=user)
                .order_by("pk")
                .values_list("business__timezone", flat=True)
                .first()
            )
            request.session[SESSION_KEY] = membership or ""
        return request.session[SESSION_KEY]
