"""The load balancer's health check."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core import health


@never_cache
@require_GET
def healthz(request):
    checks = {"database": health.check_database(), "broker": health.check_broker()}
    healthy = not any(checks.values())
    body = {
        "status": "ok" if healthy else "unhealthy",
        "checks": {name: error or "ok" for name, error in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)
