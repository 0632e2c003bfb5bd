"""Staff of a business, managed by its managers: invite by email, change role, remove."""

from django import forms
from django.contrib import admin, messages

from apps.businesses import roles
from apps.businesses import services as business_services
from apps.businesses.models import Membership
from apps.businesses.tenant_admin import TenantScopedAdmin
from apps.staff import services as staff_services


class MembershipForm(forms.ModelForm):
    """A role given at a business is never above the giver's own role there."""

    access = None  # the signed-in user's StaffAccess, set by the admin

    class Meta:
        model = Membership
        fields = ("business", "role")

    def clean(self):
        cleaned = super().clean()
        business = cleaned.get("business") or getattr(self.instance, "business", None)
        role = cleaned.get("role")
        if business and role and not self.access.is_operator:
            if role not in roles.grantable_by(self.access.role_in(business.pk)):
                self.add_error("role", "You cannot give a role above your own.")
        return cleaned


class InviteForm(MembershipForm):
    email = forms.EmailField(
        help_text="They get an email with a link to set a password."
    )

    class Meta(MembershipForm.Meta):
        fields = ("email", "business", "role")

    def clean(self):
        # The service's own checks (already on the staff, a deactivated or ambiguous
        # account, ...), so what would refuse the invite is said beside the field.
        cleaned = super().clean()
        business, email, role = (cleaned.get(k) for k in ("business", "email", "role"))
        if business and email and role:
            try:
                cleaned["email"] = staff_services.check_staff_invite(
                    business, email=email, role=role
                )
            except staff_services.StaffInviteError as exc:
                self.add_error("email", str(exc))
        return cleaned


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ("member", "email", "business", "role", "last_login")
    list_filter = ("role", "business")
    list_select_related = ("user", "business")
    search_fields = ("user__username", "user__email", "user__first_name")
    actions = ("resend_invites",)

    def get_fields(self, request, obj=None):
        # The member is shown as a name, not a link: the user admin is for operators.
        if obj is None:
            return ("email", "business", "role")
        return ("member", "email", "business", "role")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("member", "email", "business")

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = InviteForm if obj is None else MembershipForm
        form = super().get_form(request, obj, **kwargs)
        form.access = self._access(request)
        return form

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._is_own(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._is_own(
            request, obj
        )

    def _is_own(self, request, membership) -> bool:
        # Nobody changes or removes their own role; another manager does.
        return (
            membership is not None
            and membership.user_id == request.user.pk
            and not self._access(request).is_operator
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        invited = staff_services.invite_staff_member(
            data["business"],
            email=data["email"],
            role=data["role"],
            invited_by=request.user,
        )
        obj.pk, obj.user = invited.pk, invited.user

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        business_services.sync_staff_access(obj.user)

    def delete_queryset(self, request, queryset):
        users = [membership.user for membership in queryset.select_related("user")]
        super().delete_queryset(request, queryset)
        for user in users:
            business_services.sync_staff_access(user)

    @admin.action(description="Send the invitation email again")
    def resend_invites(self, request, queryset):
        sent = 0
        for membership in queryset.select_related("user", "business"):
            try:
                staff_services.resend_staff_invite(membership, invited_by=request.user)
            except staff_services.StaffInviteError as exc:
                self.message_user(request, str(exc), messages.WARNING)
                continue
            sent += 1
        self.message_user(request, f"Sent {sent} invitation(s) again.")

    @admin.display(description="Member", ordering="user__username")
    def member(self, membership):
        return membership.user.get_full_name() or membership.user.username

    @admin.display(description="Email", ordering="user__email")
    def email(self, membership):
        return membership.user.email or "—"

    @admin.display(description="Last sign-in", ordering="user__last_login")
    def last_login(self, membership):
        return membership.user.last_login or "—"
