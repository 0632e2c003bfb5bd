import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

ADMIN_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "admin"
# What the policy would block in our own templates: inline <style> and <script>
# blocks, style="" attributes and on...="" handlers.
INLINE = re.compile(
    r"<style|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE
)


def _policy(response) -> dict[str, str]:
    directives = (
        part.strip() for part in response["Content-Security-Policy"].split(";")
    )
    return dict(part.split(" ", 1) for part in directives if part)


def test_admin_pages_send_a_policy_that_allows_only_their_own_files(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert _policy(response) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "media-src": "'self'",  # recordings stream through VoiceHive
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def test_the_login_page_sends_it_too(client):
    response = client.get(reverse("admin:login"))

    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_admin_pages_load_our_styles_as_a_file(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert 'href="/static/dashboard/admin.css"' in page


def test_our_admin_templates_hold_nothing_the_policy_would_block():
    offending = [
        f"{path.relative_to(ADMIN_TEMPLATES)}: {match.group()}"
        for path in sorted(ADMIN_TEMPLATES.rglob("*.html"))
        for match in INLINE.finditer(path.read_text())
    ]

    assert offending == []
