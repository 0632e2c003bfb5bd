"""A real CalDAV server (Radicale) on loopback, for tests and the demo's setup.

`RadicaleServer` starts `python -m radicale` with its own storage folder and an
htpasswd file (plain text: test users only) on a free loopback port, and offers
the few raw CalDAV calls tests need to put events in and read them back, without
going through the adapter under test.
"""

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

USER = "stylist"
PASSWORD = "app-password-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RadicaleServer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None

    def start(self) -> "RadicaleServer":
        users = self.folder / "users"
        users.write_text(f"{USER}:{PASSWORD}\nother:other-password\n")
        config = self.folder / "config"
        config.write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{self.port}\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {users}\n"
            "htpasswd_encryption = plain\n"
            "delay = 0\n"
            "[rights]\n"
            "type = owner_only\n"
            "[storage]\n"
            f"filesystem_folder = {self.folder / 'collections'}\n"
            "[web]\n"
            "type = none\n"
            "[logging]\n"
            "level = warning\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        # Waiting for a child process to bind its port, not for a clock.
        for _ in range(200):
            if self.process.poll() is not None:
                raise RuntimeError("Radicale exited at start-up")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("Radicale did not start listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    # --- raw CalDAV, as another calendar app would do it ---

    def client(self, user=USER, password=PASSWORD) -> httpx.Client:
        return httpx.Client(auth=(user, password), timeout=10)

    def make_calendar(self, name: str | None = None, user=USER) -> str:
        """A new calendar collection; returns its URL."""
        slug = name or f"cal-{uuid.uuid4().hex[:8]}"
        url = f"{self.url}{user}/{slug}/"
        body = (
            '<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" '
            'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop>'
            f"<d:displayname>{slug}</d:displayname></d:prop></d:set></c:mkcalendar>"
        )
        with self.client(user, PASSWORD if user == USER else "other-password") as c:
            c.request("PROPFIND", f"{self.url}{user}/", headers={"Depth": "0"})
            response = c.request("MKCALENDAR", url, content=body)
            assert response.status_code == 201, response.text
        return url

    def put_event(self, calendar_url: str, ics: str, name: str | None = None) -> str:
        name = name or f"{uuid.uuid4().hex}.ics"
        with self.client() as c:
            response = c.put(
                calendar_url + name,
                content=ics.encode(),
                headers={"Content-Type": "text/calendar"},
            )
            assert response.status_code in (201, 204), response.text
        return calendar_url + name

    def delete(self, url: str) -> None:
        with self.client() as c:
            assert c.delete(url).status_code in (200, 204)

    def get(self, url: str) -> httpx.Response:
        with self.client() as c:
            return c.get(url)

    def list_events(self, calendar_url: str) -> dict[str, str]:
        """Every resource of a calendar: {href: iCalendar text}."""
        body = (
            '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" '
            'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data/></d:prop>'
            '<c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>'
        )
        import xml.etree.ElementTree as ET

        with self.client() as c:
            response = c.request(
                "REPORT", calendar_url, content=body, headers={"Depth": "1"}
            )
        ns = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav"}
        root = ET.fromstring(response.content)
        return {
            node.findtext("d:href", "", ns): node.findtext(
                "d:propstat/d:prop/c:calendar-data", "", ns
            )
            for node in root.findall("d:response", ns)
        }


def vevent(uid: str, start: str, end: str, *, extra: str = "", tzid: str = "") -> str:
    """A one-event VCALENDAR; start/end like 20260310T140000Z, 20260310 or local."""
    if len(start) == 8:
        times = f"DTSTART;VALUE=DATE:{start}\r\nDTEND;VALUE=DATE:{end}"
    elif tzid:
        times = f"DTSTART;TZID={tzid}:{start}\r\nDTEND;TZID={tzid}:{end}"
    else:
        times = f"DTSTART:{start}\r\nDTEND:{end}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        times,
        "SUMMARY:Dentist",
    ]
    if extra:
        lines.append(extra.strip())
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)
