"""The pages an invited staff member opens: Django's password-reset views, renamed."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import reverse, reverse_lazy


class AdminBrandingMixin:
    """The admin's registration templates, headed like the rest of the admin."""

    def get_context_data(self, **kwargs):
        return {
            "site_header": admin.site.site_header,
            "site_title": admin.site.site_title,
            **super().get_context_data(**kwargs),
        }


class SetPasswordView(AdminBrandingMixin, auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    title = "Set your password"
    success_url = reverse_lazy("staff:set-password-done")


class SetPasswordDoneView(AdminBrandingMixin, auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
    title = "Your password is set"

    def get_context_data(self, **kwargs):
        # Django's view links to settings.LOGIN_URL; staff sign in at the admin.
        return {
            **super().get_context_data(**kwargs),
            "login_url": reverse("admin:login"),
        }
