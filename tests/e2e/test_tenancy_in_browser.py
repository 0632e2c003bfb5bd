"""Staff of two businesses crawl the whole admin in Chromium and never meet a third's rows.

The user is front desk at one studio and manager at another, in another time zone.
Every row of a third business carries the marker "Zyxwv" in its text (its name, its
rows' names, its staff's usernames; the operator is "zyxwv-operator"), so one string
search over every page's text and HTML tells whether any of it leaked. Rows that show
no text of their own (opening hours, a webhook event) are caught by their ids instead:
no link anywhere may point at one of them.
"""

import dataclasses
import re
import time
from collections import deque
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.businesses import services as business_services
from apps.businesses.models import Membership
from tests.businesses.factories import BusinessFactory
from tests.core.factories import UserFactory
from tests.e2e.conftest import PASSWORD, TIMEOUT_MS
from tests.rows import rows_of_every_kind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKER = "zyxwv"
# The foreign business's zone. Its name is in every business page's time-zone list,
# but its offset, +0545, labels only times shown in that zone: no page of the other
# two businesses has a reason to show one.
FOREIGN_ZONE = "Asia/Kathmandu"
FORBIDDEN = (MARKER, "+0545")
MAX_PAGES = 240
MAX_SECONDS = 240
MIN_PAGES = 40
SCREENSHOTS = Path("/tmp")
USERNAME = "two-studio-staff"
# The token is random and may, once in a great while, spell anything.
CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken"\s+value=")[^"]*(")')
# /admin/<app>/<model>/<pk>/... : a link to one row's pages.
ROW_LINK = re.compile(r"^/admin/(\w+)/(\w+)/(\d+)/")
# Query parameters that change nothing a page shows but would multiply its URLs.
IGNORED_PARAMS = {"_changelist_filters"}
POPUP_PARAMS = {"_popup", "_to_field"}
# A membership's read-only "user" field links to Django's own user admin, which
# refuses staff: a dead link, not a leak. Any other refusal fails the test.
KNOWN_REFUSED = re.compile(r"^/admin/auth/user/\d+/change/$")
# Everything the crawl reads of a page once its scripts ran, in one round trip.
READ_PAGE = """() => ({
  text: document.body.innerText,
  html: document.documentElement.outerHTML,
  links: Array.from(document.querySelectorAll("a[href]"), (a) => a.href),
  lookups: Array.from(document.querySelectorAll("a.related-lookup"), (a) => a.href),
})"""


@dataclasses.dataclass
class Studios:
    own: dict
    second: dict
    foreign: dict

    def foreign_row_links(self) -> set[tuple[str, str]]:
        """(app_label.model_name, pk) of every row of the foreign business."""
        return {(label, str(row.pk)) for label, row in self.foreign.items()}


@dataclasses.dataclass
class Crawl:
    visited: list[str] = dataclasses.field(default_factory=list)
    popups: list[str] = dataclasses.field(default_factory=list)
    leaks: list[str] = dataclasses.field(default_factory=list)
    foreign_links: list[str] = dataclasses.field(default_factory=list)
    failures: list[str] = dataclasses.field(default_factory=list)
    refused: list[str] = dataclasses.field(default_factory=list)
    seen_text: set[str] = dataclasses.field(default_factory=set)
    left: list[int] = dataclasses.field(default_factory=list)
    seconds: float = 0.0


@pytest.fixture
def studios(live_server, settings) -> Studios:
    # The live server speaks plain HTTP, so HTTPS-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    own = BusinessFactory(
        name="Own Studio", slug="own-studio", timezone="America/Chicago"
    )
    second = BusinessFactory(
        name="Second Studio", slug="second-studio", timezone="Asia/Tokyo"
    )
    foreign = BusinessFactory(
        name="Zyxwv Studio",
        slug="zyxwv-studio",
        timezone=FOREIGN_ZONE,
        address="1 Zyxwv Lane, Kathmandu",
        website="https://zyxwv.example.com",
        notification_emails="zyxwv-desk@example.com",
        greeting="Thanks for calling Zyxwv Studio!",
        faq="Zyxwv parking is round the back.",
    )
    user = UserFactory(username=USERNAME, is_staff=False, password=PASSWORD)
    business_services.add_member(own, user=user, role=Membership.Role.FRONT_DESK)
    business_services.add_member(second, user=user, role=Membership.Role.MANAGER)
    operator = get_user_model().objects.create_superuser(
        "zyxwv-operator", "zyxwv-operator@example.com", PASSWORD
    )
    foreign_rows = rows_of_every_kind(foreign, "Zyxwv")
    # The operator's edits of the foreign rows, for history pages to leak if they can.
    for row in foreign_rows.values():
        LogEntry.objects.log_actions(
            operator.pk, [row], CHANGE, "Zyxwv operator edit", single_object=True
        )
    return Studios(
        own=rows_of_every_kind(own, "Own"),
        second=rows_of_every_kind(second, "Second"),
        foreign=foreign_rows,
    )


@pytest.fixture
def staff_tab(browser, live_server, studios):
    """A tab logged in as the two-studio staff member through the admin's login form."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1600, "height": 1000},
        timezone_id="America/Chicago",
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    home = reverse("admin:index")
    tab.goto(f"{reverse('admin:login')}?next={home}")
    tab.fill("#id_username", USERNAME)
    tab.fill("#id_password", PASSWORD)
    tab.click("input[type=submit]")
    tab.wait_for_url(f"**{home}")
    yield tab
    context.close()


def test_staff_of_two_businesses_never_see_a_third_anywhere_in_the_admin(
    staff_tab, live_server, studios
):
    crawl = _crawl(staff_tab, live_server.url, studios.foreign_row_links())
    kinds = {
        kind: sum(f"/{kind}/" in url for url in crawl.visited)
        for kind in ("add", "change", "history")
    }
    print(  # noqa: T201 - the crawl's size and pace, for whoever reads -s output
        f"\n{len(crawl.visited)} pages {kinds}, {len(crawl.popups)} lookup popups, "
        f"in {crawl.seconds:.1f}s; refused: {crawl.refused}; "
        f"left unvisited by priority: {crawl.left}"
    )

    assert crawl.leaks == []
    assert crawl.foreign_links == []
    assert crawl.failures == []
    assert [
        url for url in crawl.refused if not KNOWN_REFUSED.match(urlsplit(url).path)
    ] == []
    # Not vacuous: the crawl went far and wide, and saw both businesses' rows.
    assert len(crawl.visited) > MIN_PAGES
    assert crawl.left[0] == 0, "every list, add, change and history page is visited"
    assert all(kinds.values()), kinds
    assert crawl.popups, "no raw-id lookup popup was opened"
    assert {"Own Lead", "Second Lead"} <= crawl.seen_text
    _second_studio_pages(staff_tab, studios)


def _crawl(page, origin: str, foreign_rows: set[tuple[str, str]]) -> Crawl:
    """Breadth first from the admin index: pages of their own first (lists, add,
    change, history, lookup popups), then one-parameter variants of them (filters,
    date drill-downs, pagination), then the rest (sorting, combined filters)."""
    crawl = Crawl()
    queues: list[deque[str]] = [deque(), deque(), deque()]
    queued: set[str] = set()
    started = time.monotonic()

    def enqueue(url: str) -> None:
        canonical = _canonical(url, origin)
        if canonical is not None and canonical not in queued:
            queued.add(canonical)
            queues[_priority(canonical)].append(canonical)

    enqueue(origin + reverse("admin:index"))
    while any(queues) and len(crawl.visited) < MAX_PAGES:
        if time.monotonic() - started > MAX_SECONDS:
            break
        url = next(queue for queue in queues if queue).popleft()
        seen = _visit(page, url, crawl, foreign_rows)
        for href in seen["links"]:
            enqueue(href)
        # The magnifier opens its list as a popup, with _popup=1 added by script.
        for href in seen["lookups"]:
            enqueue(_with_params(href, {"_popup": "1"}))
    crawl.seconds = time.monotonic() - started
    crawl.left = [len(queue) for queue in queues]
    return crawl


def _visit(page, url: str, crawl: Crawl, foreign_rows) -> dict:
    response = page.goto(url)
    crawl.visited.append(url)
    if "_popup=1" in url:
        crawl.popups.append(url)
    seen = page.evaluate(READ_PAGE)
    status = response.status if response else "no response"
    if status == 403:
        crawl.refused.append(url)
    elif status != 200 or "/login/" in urlsplit(page.url).path:
        crawl.failures.append(f"{url}: {status} at {page.url}")
        return seen
    crawl.seen_text.update(
        name for name in ("Own Lead", "Second Lead") if name in seen["text"]
    )
    for kind, content in (
        ("text", seen["text"]),
        ("html", _without_csrf(seen["html"])),
        ("served html", _without_csrf(response.text())),
    ):
        for word in FORBIDDEN:
            where = content.lower().find(word)
            if where >= 0:
                snippet = content[max(0, where - 100) : where + 100]
                crawl.leaks.append(f"{url} ({kind}): ...{snippet}...")
    # Rows of no text of their own leak as links: any page of a foreign row's id.
    for href in seen["links"]:
        row = ROW_LINK.match(urlsplit(href).path)
        if row and (f"{row[1]}.{row[2]}", row[3]) in foreign_rows:
            crawl.foreign_links.append(f"{url} links to {href}")
    return seen


def _canonical(url: str, origin: str) -> str | None:
    """The URL to visit for a link, or None for one the crawl leaves alone."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    if not parts.path.startswith("/admin/"):
        return None
    if any(
        word in parts.path for word in ("logout", "password_change", "autocomplete")
    ):
        return None
    if "delete" in url.lower():
        return None
    params = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in IGNORED_PARAMS
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))


def _priority(url: str) -> int:
    names = [key for key, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    if set(names) <= POPUP_PARAMS:
        return 0
    if len(names) == 1 and names != ["o"]:
        return 1
    return 2


def _with_params(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True)) | extra
    return urlunsplit(parts._replace(query=urlencode(params)))


def _without_csrf(html: str) -> str:
    return CSRF_TOKEN.sub(r"\1\2", html)


def _second_studio_pages(page, studios: Studios) -> None:
    """Screenshots of what the two-zone user reads, times named by their zone."""
    page.goto(reverse("admin:leads_lead_changelist"))
    page.screenshot(path=SCREENSHOTS / "tenancy-leads.png", full_page=True)

    page.goto(reverse("admin:appointments_appointment_changelist"))
    listed = page.inner_text("#result_list")
    assert "JST" in listed
    assert re.search(r"\bC[SD]T\b", listed)
    page.screenshot(path=SCREENSHOTS / "tenancy-appointments.png", full_page=True)

    appointment = studios.second["appointments.appointment"]
    page.goto(reverse("admin:appointments_appointment_change", args=[appointment.pk]))
    assert "Second Studio" in page.inner_text("#content")
    page.screenshot(path=SCREENSHOTS / "tenancy-second-appointment.png", full_page=True)
