"""Staff pages of the businesses app outside the admin's own URLs."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.businesses import switcher


@require_POST
@staff_member_required
def switch_business(request):
    """Narrow the user's admin to the business the header's switcher posted."""
    form = switcher.BusinessSwitchForm(request.POST, user=request.user)
    if form.is_valid():
        switcher.choose_business(request, form.cleaned_data["business"])
    else:
        messages.error(request, "You can only switch to a business you work at.")
    return redirect(_back(request))


def _back(request) -> str:
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return back if safe else reverse("admin:index")
