"""The adapters, by kind. Each provider module is imported only when first used, so
a deployment that connects no Google calendar never loads Google's code."""

from apps.calendars.providers.base import CalendarAdapter

_overrides: dict[str, CalendarAdapter] = {}


def adapter_for(kind: str) -> CalendarAdapter:
    if kind in _overrides:
        return _overrides[kind]
    if kind == "caldav":
        from apps.calendars.providers.caldav import CalDAVAdapter

        return CalDAVAdapter()
    if kind == "google":
        from apps.calendars.providers.google import GoogleAdapter

        return GoogleAdapter()
    if kind == "microsoft":
        from apps.calendars.providers.microsoft import MicrosoftAdapter

        return MicrosoftAdapter()
    raise ValueError(f"No calendar adapter for {kind!r}")


def override(kind: str, adapter: CalendarAdapter | None) -> None:
    """Tests swap an adapter in (None puts the real one back)."""
    if adapter is None:
        _overrides.pop(kind, None)
    else:
        _overrides[kind] = adapter
