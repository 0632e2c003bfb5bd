"""Headless Chromium against the live server, logged in as the demo studio's staff."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from apps.businesses.models import Business
from apps.calls.models import Call
from apps.demo import services as demo_services
from apps.leads.models import Lead
from tests.calls.factories import CallFactory
from tests.vapi.payloads import load_payload

# Kept as CI artifacts; .gitignore keeps them out of git.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "browser-test-password"
# Only loopback is reachable here: without these Chromium keeps dialling Google's
# services in the background. Playwright adds --headless and its own empty profile.
CHROMIUM_ARGS = [
    "--no-sandbox",  # Chromium refuses to sandbox itself as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Demo:
    business: Business
    username: str
    password: str
    dana: Lead
    call: Call


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server on loopback, built for plain HTTP.

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server builds its
    handler; that happens before the per-test settings of tests/conftest.py apply.
    """
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread, so Django refuses
    # ORM calls from it (the seeding and the checks on what was saved) unless told
    # otherwise. Nothing here is async; the live server answers from its own thread.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def demo(live_server, settings) -> Demo:
    # The live server speaks plain HTTP, so HTTPS-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    seed = demo_services.seed_demo_business(password=PASSWORD)
    dana = Lead.objects.get(business=seed.business, phone="+15125550187")
    return Demo(seed.business, seed.username, PASSWORD, dana, _reported_call(dana))


def _reported_call(lead: Lead) -> Call:
    """A call with VAPI's full end-of-call messages: turns by both sides and tools."""
    report = load_payload("11-end-of-call-report")
    return CallFactory(
        business=lead.business,
        lead=lead,
        vapi_call_id="browser-test-call",
        caller_number=lead.phone,
        messages=report["message"]["artifact"]["messages"],
    )


@pytest.fixture
def page(browser, live_server, demo):
    # The staff member sits in the studio, so the admin's clock widgets agree with it.
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1600, "height": 1000},
        timezone_id=demo.business.timezone,
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot(page, request):
    """Save the page as test-artifacts/e2e/<test>-<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(step: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def staff_page(page, demo, screenshot):
    """The page after the demo staff member logged in through the admin's login form."""
    home = reverse("admin:index")
    page.goto(f"{reverse('admin:login')}?next={home}")
    page.fill("#id_username", demo.username)
    page.fill("#id_password", demo.password)
    screenshot("login")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{home}")
    # The demo login manages both demo businesses; these walks are the studio's day,
    # so narrow to it the way staff do, with the header's switcher.
    page.select_option("#id_switcher-business", label=demo.business.name)
    page.click("button:has-text('Switch')")
    page.wait_for_load_state()
    return page


@pytest.fixture
def expect(browser):
    """Playwright's retrying assertions, as patient as the page's other waits."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


# Runs before any of the page's own scripts, whatever the policy (Playwright
# injects it), and reports each Content-Security-Policy violation to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}` +
    ` at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def refused(page) -> list[str]:
    """What the browser refused, or complained about, on the page so far: policy
    violations, console messages, script errors and failed requests."""
    seen: list[str] = []

    def failed(response) -> None:
        if response.status >= 400 and not _favicon(response.url):
            seen.append(f"HTTP {response.status}: {response.url}")

    def console(message) -> None:
        if not _favicon(message.location.get("url", "")):
            seen.append(f"console: {message.text} ({message.location.get('url')})")

    def report(text: str) -> None:
        seen.append(text)

    page.context.expose_function("reportViolation", report)
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("console", console)
    page.on("pageerror", lambda error: seen.append(f"error: {error}"))
    page.on("response", failed)
    return seen


def _favicon(url: str) -> bool:
    # The site has no favicon; Chromium asks for one anyway and logs the 404.
    return url.endswith("/favicon.ico")
