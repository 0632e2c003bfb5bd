"""Links: absolute ones to our own pages, and which outside ones are safe to show."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

WEB_SCHEMES = frozenset({"http", "https"})


def absolute_url(viewname: str, *args) -> str:
    """SITE_URL plus the named page's path (an admin page, the set-password page), or
    "" when SITE_URL is not set: for links in messages that leave the site."""
    if not settings.SITE_URL:
        return ""
    return settings.SITE_URL.rstrip("/") + reverse(viewname, args=args)


def is_web_url(url: str) -> bool:
    """True only for an absolute http(s) URL: safe as a link or a media source.

    Anything else a sender may slip in (javascript:, data:, a relative path) is not.
    Browsers ignore spaces and control characters that Python's parser may read
    differently, so a URL holding any is refused rather than guessed at.
    """
    if not isinstance(url, str) or not url.isprintable() or " " in url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)
