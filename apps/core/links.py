"""Absolute links into the staff admin, for messages that leave the site."""

from django.conf import settings
from django.urls import reverse


def admin_url(viewname: str, *args) -> str:
    """SITE_URL plus the admin page's path, or "" when SITE_URL is not set."""
    if not settings.SITE_URL:
        return ""
    return settings.SITE_URL.rstrip("/") + reverse(viewname, args=args)
