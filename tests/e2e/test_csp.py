"""The admin under its Content-Security-Policy, as Chromium enforces it."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORDING = "https://storage.vapi.ai/browser-test-call-mono.wav"


@pytest.fixture
def superuser_page(page, demo, refused):
    """The page after a superuser logged in through the admin's login form."""
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    page.goto(reverse("admin:login"))
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{reverse('admin:index')}")
    return page


@pytest.fixture
def recorded_call(demo):
    demo.call.recording_url = RECORDING
    demo.call.save(update_fields=["recording_url"])
    return demo.call


def test_admin_pages_break_none_of_their_content_security_policy(
    superuser_page, demo, recorded_call, refused, screenshot
):
    pages = [
        reverse("admin:index"),
        reverse("admin:leads_lead_changelist"),
        reverse("admin:leads_lead_change", args=[demo.dana.pk]),
        reverse("admin:appointments_appointment_add"),
        reverse("admin:calls_call_change", args=[recorded_call.pk]),
    ]
    for path in pages:
        response = superuser_page.goto(path)
        superuser_page.wait_for_load_state("networkidle")

        assert response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy, path
        assert refused == [], path
    screenshot("call")


def test_the_call_page_plays_its_recording_under_the_policy(
    superuser_page, recorded_call, refused, expect
):
    superuser_page.goto(reverse("admin:calls_call_change", args=[recorded_call.pk]))

    # Streamed through VoiceHive (same origin), whether VAPI's URL is public or not.
    streamed = reverse("admin:calls_call_recording", args=[recorded_call.pk])
    audio = superuser_page.locator("audio")
    expect(audio).to_have_count(1)
    expect(audio).to_have_attribute("src", streamed)
    expect(superuser_page.get_by_role("link", name="Download")).to_have_attribute(
        "href", streamed
    )
    # The conversation keeps the look its stylesheet gives it, now loaded as a file.
    turn = superuser_page.locator(".vh-turn").first
    expect(turn).to_have_css("display", "grid")
    assert refused == []


def test_the_policy_blocks_an_inline_script_planted_in_a_page(superuser_page, refused):
    """The check above would pass with no policy at all; this proves it is enforced."""
    superuser_page.goto(reverse("admin:index"))
    superuser_page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.planted = true";
          document.body.append(script);
        }"""
    )

    assert superuser_page.evaluate("() => window.planted") is None
    superuser_page.wait_for_timeout(200)  # the violation is reported asynchronously
    assert any("script-src" in text for text in refused)
