"""A scripted calendar adapter for tests of the engine's policy (retries, conflicts)."""

from apps.calendars.providers.base import SyncPage, WrittenEvent


class FakeAdapter:
    kind = "caldav"

    def __init__(self):
        self.events: dict[str, object] = {}
        self.fail_with: list[Exception] = []  # raised by the next calls, in order
        self.pages: list[SyncPage] = []
        self.calls: list[str] = []
        self.busy: list = []
        self.windows: list = []  # (window_start, window_end) of each sync
        self.tokens: list[str] = []  # the calendar's sync token each sync saw
        self.during_sync = None  # called inside sync (to race another sync)

    def _maybe_fail(self, name):
        self.calls.append(name)
        if self.fail_with:
            raise self.fail_with.pop(0)

    def list_calendars(self, connection):
        self._maybe_fail("list")
        return []

    def sync(self, connection, calendar, *, window_start, window_end):
        self._maybe_fail("sync")
        self.windows.append((window_start, window_end))
        self.tokens.append(calendar.sync_token)
        if self.during_sync is not None:
            self.during_sync()
        return self.pages.pop(0) if self.pages else SyncPage(next_sync_token="t")

    def create_event(self, connection, calendar, event):
        self._maybe_fail("create")
        remote_id = f"/cal/{event.voicehive_ref}.ics"
        self.events[remote_id] = event
        return WrittenEvent(remote_id=remote_id)

    def update_event(self, connection, calendar, remote_id, event):
        self._maybe_fail("update")
        self.events[remote_id] = event
        return WrittenEvent(remote_id=remote_id)

    def delete_event(self, connection, calendar, remote_id):
        self._maybe_fail("delete")
        self.events.pop(remote_id, None)

    def free_busy(self, connection, calendars, start, end, *, timeout):
        self._maybe_fail("free_busy")
        return self.busy

    def watch(self, connection, calendar):
        return None

    def stop_watch(self, connection, calendar):
        self.calls.append("stop_watch")

    def revoke(self, connection):
        self.calls.append("revoke")
