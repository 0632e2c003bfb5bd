import datetime as dt
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.businesses.models import Business
from apps.calls import vapi, vapi_sync
from apps.calls.vapi_api import VapiApiError, VapiClient

_AGE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Command(BaseCommand):
    help = (
        "Ask VAPI for the calls created in a time window and ingest, through the "
        "webhook's path, each end-of-call report that never reached us. Needs VAPI_API_KEY."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            default="24h",
            help="Start of the window: an age (90m, 24h, 7d, 2w) or an ISO datetime "
            "(UTC unless it has an offset). Default: 24h.",
        )
        parser.add_argument(
            "--until",
            default=None,
            help="End of the window, same formats. Default: now.",
        )
        parser.add_argument(
            "--business", metavar="SLUG", help="Only calls to this business's numbers."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be ingested, write nothing.",
        )

    def handle(self, *, since, until, business, dry_run, **_):
        now = timezone.now()
        since_at = parse_moment(since, now=now)
        until_at = parse_moment(until, now=now) if until else now
        if since_at >= until_at:
            raise CommandError("--since must be before --until.")
        try:
            with VapiClient.from_settings() as client:
                report = vapi_sync.reconcile_calls(
                    since=since_at,
                    until=until_at,
                    business=_business(business),
                    dry_run=dry_run,
                    client=client,
                    progress=self._progress,
                )
        except VapiApiError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())
        if report.failed:
            raise CommandError(
                "Not ingested: "
                + "; ".join(report.failed)
                + " (a report stored as failed can be replayed from the admin's "
                "webhook events)."
            )

    def _progress(self, done: int, total: int) -> None:
        # One line redrawn in place on a terminal; every line is kept in a log file.
        ending = "\n" if done == total or not self.stderr.isatty() else ""
        self.stderr.write(f"\rChecked {done}/{total} call(s)", ending=ending)


def parse_moment(value: str, *, now: dt.datetime) -> dt.datetime:
    """'24h' / '7d' (ago) or an ISO datetime, as an aware datetime."""
    match = _AGE.match(value.strip().lower())
    if match:
        amount, unit = match.groups()
        return now - dt.timedelta(**{_UNITS[unit]: int(amount)})
    moment = vapi.parse_datetime(value.strip())
    if moment is None:
        raise CommandError(
            f"{value!r} is neither an age like 24h nor an ISO datetime like 2025-03-14T15:00."
        )
    return moment


def _business(slug: str | None) -> Business | None:
    if slug is None:
        return None
    business = Business.objects.filter(slug=slug).first()
    if business is None:
        raise CommandError(f"No business with slug {slug!r}.")
    return business
