"""Staff pages of the dashboard beyond the admin index: the manager's reports."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.businesses import switcher
from apps.businesses.models import Business
from apps.dashboard import reports as report_selectors


class ReportPicker(forms.Form):
    business = forms.TypedChoiceField(coerce=int)
    days = forms.TypedChoiceField(
        label="Period",
        coerce=int,
        choices=[(n, f"Last {n} days") for n in report_selectors.PERIODS],
    )

    def __init__(self, query, *, businesses: list[Business], preferred: int | None):
        self.businesses = {business.pk: business for business in businesses}
        if preferred not in self.businesses:
            preferred = businesses[0].pk
        # What the query leaves out is filled in, so the selects show what is shown.
        data = {"business": preferred, "days": report_selectors.PERIODS[0]}
        super().__init__({**data, **query.dict()}, auto_id="report_%s")
        self.fields["business"].choices = [(b.pk, b.name) for b in businesses]

    def choice(self) -> tuple[Business, int]:
        return self.businesses[self.cleaned_data["business"]], self.cleaned_data["days"]


def reports(request: HttpRequest) -> HttpResponse:
    """A business's calls, bookings and Roxy's cost against what she booked, by day.

    It opens on the business the header's switcher narrowed the admin to, when the
    user may read its reports, else on their first.
    """
    businesses = list(report_selectors.businesses_for_reports(request.user))
    if not businesses:
        raise PermissionDenied
    preferred = switcher.chosen_business_id(request)
    picker = ReportPicker(request.GET, businesses=businesses, preferred=preferred)
    # Another business's id is refused like one that doesn't exist.
    if not picker.is_valid():
        raise Http404("No such report.")
    business, days = picker.choice()
    context = {
        **admin.site.each_context(request),
        "title": "Reports",
        "subtitle": f"{business.name}, last {days} days",
        "picker": picker,
        "report": report_selectors.build_report(business, days=days),
    }
    return TemplateResponse(request, "admin/dashboard/reports.html", context)
