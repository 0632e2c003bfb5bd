"""Staff invites: a manager adds someone to their business by email, no superuser needed.

The invite email holds a set-password link for someone with no password yet, or a
sign-in link for someone who has one. Who may invite whom, and to which role, is the
caller's check (the admin form): these functions grant what they are asked to.
"""

import logging
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.businesses import services as business_services
from apps.businesses.models import Business, Membership
from apps.core.links import absolute_url
from apps.notifications import rendering
from apps.notifications import services as notification_services
from apps.notifications.models import STAFF_INVITE, Notification

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 24 * 60 * 60


class StaffInviteError(Exception):
    """The invite can't be made; the message says why, in words for the manager."""


def invite_staff_member(
    business: Business, *, email: str, role: str, invited_by
) -> Membership:
    """Add the user (created if new) to the staff and queue the invite. Not idempotent."""
    try:
        with transaction.atomic():  # no user, membership or email without the others
            email, user = _check_invite(business, email=email, role=role)
            user = user or _create_user(email)
            membership = Membership.objects.create(
                user=user, business=business, role=role
            )
            business_services.sync_staff_access(user)
            _queue_invite(membership, invited_by=invited_by)
    except IntegrityError as exc:
        # Only a concurrent invite of the same address gets past the checks.
        raise StaffInviteError(
            f"{email} was invited by someone else just now; check the staff list."
        ) from exc
    return membership


def check_staff_invite(business: Business, *, email: str, role: str) -> str:
    """The normalised address if it may be invited, else StaffInviteError. No side effects."""
    return _check_invite(business, email=email, role=role)[0]


def resend_staff_invite(membership: Membership, *, invited_by) -> Notification:
    """Queue the invite email again with a fresh link. Not idempotent: each call sends one."""
    # Links sent before stay valid until they expire or the password is set.
    user = membership.user
    if not user.is_active:
        raise StaffInviteError(f"{user.get_username()}'s account is deactivated.")
    if not user.email:
        raise StaffInviteError(f"{user.get_username()} has no email address.")
    return _queue_invite(membership, invited_by=invited_by)


def _normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not email:
        raise StaffInviteError("Enter an email address.")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise StaffInviteError(f"“{email}” is not a valid email address.") from exc
    return email


def _check_invite(business: Business, *, email: str, role: str):
    """(normalised email, the existing user or None), or StaffInviteError."""
    email = _normalize_email(email)
    if role not in Membership.Role.values:
        raise StaffInviteError(f"“{role}” is not a staff role.")
    user = _existing_user(email)
    if user is not None and user.memberships.filter(business=business).exists():
        raise StaffInviteError(f"{email} is already on {business}'s staff.")
    return email, user


def _existing_user(email: str):
    User = get_user_model()
    users = list(User.objects.filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise StaffInviteError(
            f"More than one account uses {email}; ask a VoiceHive administrator."
        )
    if users:
        if not users[0].is_active:
            raise StaffInviteError(f"The account for {email} is deactivated.")
        return users[0]
    username_field = User._meta.get_field(User.USERNAME_FIELD)
    if len(email) > username_field.max_length:
        raise StaffInviteError(f"{email} is too long to sign in with.")
    if User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": email}).exists():
        raise StaffInviteError(
            f"An account named {email} has another email address; "
            "ask a VoiceHive administrator."
        )
    return None


def _create_user(email: str):
    User = get_user_model()
    user = User(**{User.USERNAME_FIELD: email}, email=email)
    user.set_unusable_password()  # they choose one through the invite's link
    user.save()
    return user


def _queue_invite(membership: Membership, *, invited_by) -> Notification:
    user = membership.user
    return notification_services.queue_notification(
        membership.business,
        channel=rendering.EMAIL,
        kind=STAFF_INVITE,
        recipient=user.email,
        context=_invite_context(membership, invited_by=invited_by),
        # Every sending is its own message with its own link.
        dedupe_key=f"{STAFF_INVITE}:{membership.pk}:{uuid.uuid4().hex}",
    )


def _invite_context(membership: Membership, *, invited_by) -> dict:
    user = membership.user
    context = {
        "invited_by_name": _name_of(invited_by),
        "role_label": membership.get_role_display(),
        "username": user.get_username(),
        "set_password_url": "",
        "login_url": absolute_url("admin:login"),
        "link_valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // SECONDS_PER_DAY),
    }
    if not user.has_usable_password():
        context["set_password_url"] = _set_password_url(user)
    if not settings.SITE_URL:
        logger.warning(
            "SITE_URL is not set: the invite for membership %s has no link",
            membership.pk,
        )
    return context


def _set_password_url(user) -> str:
    """Where the invited user chooses a password; "" when SITE_URL is not set."""
    return absolute_url(
        "staff:set-password",
        urlsafe_base64_encode(force_bytes(user.pk)),
        default_token_generator.make_token(user),
    )


def _name_of(user) -> str:
    return user.get_full_name() or user.email or user.get_username()
