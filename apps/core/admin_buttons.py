"""Buttons on an admin change page that each run one service for that row."""

from functools import partial

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse


class ObjectButtons:
    """Buttons on a change page, each a POST (with the CSRF token) to `<id>/<name>/`
    that runs the admin's `press_<name>(request, obj)` and comes back to the page.

    The row is found through the admin's own scoped queryset (another business's
    is a 404) and the user's role there must allow changing it.
    """

    object_buttons: tuple[str, ...] = ()

    def get_urls(self):
        return [
            path(
                f"<path:object_id>/{name.replace('_', '-')}/",
                self.admin_site.admin_view(partial(self._press, name=name)),
                name=f"{self.opts.app_label}_{self.opts.model_name}_{name}",
            )
            for name in self.object_buttons
        ] + super().get_urls()

    def _press(self, request, object_id, *, name):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        getattr(self, f"press_{name}")(request, obj)
        info = self.opts.app_label, self.opts.model_name
        return redirect(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))

    def render_change_form(self, request, context, add=False, change=False, **kwargs):
        obj = kwargs.get("obj")
        may_press = obj is not None and self.has_change_permission(request, obj)
        context["may_press"] = may_press
        return super().render_change_form(request, context, add, change, **kwargs)
