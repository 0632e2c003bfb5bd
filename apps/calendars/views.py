"""OAuth start/callback pages (staff, from the admin) and the public push endpoints."""

import json
import logging

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.calendars import oauth, push
from apps.calendars.providers import tokens
from apps.calendars.providers.base import ProviderError

logger = logging.getLogger(__name__)

MAX_VALIDATION_TOKEN = 2048


@staff_member_required
@require_GET
def oauth_start(request, kind: str):
    if kind not in oauth.KINDS:
        raise Http404
    target = _target_or_404(request, kind)
    if not oauth.is_configured(kind):
        messages.error(
            request,
            f"{tokens.label(kind)} calendars are not set up on this server "
            "(its client id and secret, and SITE_URL, are missing).",
        )
        return redirect(_back(target.connection))
    return redirect(oauth.begin(request.session, request.user, kind, target))


@staff_member_required
@require_GET
def oauth_callback(request, kind: str):
    if kind not in oauth.KINDS:
        raise Http404
    try:
        connection = oauth.finish(request.session, request.user, kind, request.GET)
    except oauth.NotAllowed as exc:
        if exc.hidden:
            raise Http404 from None
        messages.error(request, str(exc))
        return redirect("admin:index")
    except (oauth.OAuthFailed, ProviderError) as exc:
        logger.info("Calendar OAuth callback refused: %s", exc)
        messages.error(request, f"The calendar was not connected: {exc}")
        return redirect("admin:index")
    messages.success(
        request,
        f"Connected {connection}. Choose which calendars count as busy time and "
        "which one receives bookings.",
    )
    return redirect(_back(connection))


@csrf_exempt
@require_POST
def google_push(request):
    outcome = push.google_notification(request.headers)
    return JsonResponse(outcome.body, status=outcome.status)


@csrf_exempt
@require_POST
def microsoft_push(request):
    token = request.GET.get("validationToken")
    if token is not None:
        # Graph's handshake when a subscription is created: echo the token as
        # text/plain within 10 s. It changes nothing, so it needs no check.
        if len(token) > MAX_VALIDATION_TOKEN:
            return JsonResponse({"error": "validation token too long"}, status=400)
        return HttpResponse(token, content_type="text/plain; charset=utf-8")
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    outcome = push.microsoft_notifications(payload)
    return JsonResponse(outcome.body, status=outcome.status)


def _target_or_404(request, kind: str) -> oauth.Target:
    try:
        return oauth.resolve_target(
            request.user,
            kind,
            business_id=request.GET.get("business"),
            provider_id=request.GET.get("provider"),
            connection_id=request.GET.get("connection"),
        )
    except oauth.NotAllowed as exc:
        if exc.hidden:
            raise Http404 from None
        raise PermissionDenied(str(exc)) from None


def _back(connection) -> str:
    """The connection's admin page (to choose calendars), else the admin's index."""
    if connection is None or connection.pk is None:
        return reverse("admin:index")
    try:
        return reverse(
            "admin:calendars_calendarconnection_change", args=[connection.pk]
        )
    except NoReverseMatch:
        return reverse("admin:index")
