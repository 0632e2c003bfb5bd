"""Live probes for `manage.py doctor`: the running services and the data, as check messages.

System checks (each app's checks.py, registered with deploy=True) read settings only,
so `check --deploy` can run them anywhere. Probes need the database, the broker or
VAPI, so they live in this second registry, which only `doctor` runs. Each app
registers its probes from its own checks.py. A probe returns Info for a pass, and
Warning or Error with a hint for a problem.
"""

from django.core.checks import CheckMessage
from django.core.checks.registry import CheckRegistry
from django.utils.datastructures import OrderedSet

# Tags a probe declares so that `run_probes` can skip it.
DATABASE = "database"  # reads rows: skipped once the database or its schema failed
NETWORK = "network"  # calls VAPI: skipped by `doctor --offline`

# The core probes' failures that leave no tables to read.
DATABASE_DOWN = "core.E001"
MIGRATIONS_PENDING = "core.E002"


class ProbeRegistry(CheckRegistry):
    def __init__(self) -> None:
        super().__init__()
        # Registration order is display order (apps are ready in INSTALLED_APPS
        # order, core first), and the database probes must come before the rest.
        self.registered_checks = OrderedSet()


registry = ProbeRegistry()
register = registry.register


def run_probes(*, offline: bool = False) -> list[CheckMessage]:
    """Every registered probe's messages, in order; reads only, calls VAPI unless offline."""
    messages: list[CheckMessage] = []
    database_usable = True
    for probe in registry.get_checks():
        if (offline and NETWORK in probe.tags) or (
            DATABASE in probe.tags and not database_usable
        ):
            continue
        found = probe(app_configs=None, databases=None)
        messages.extend(found)
        if any(m.id in (DATABASE_DOWN, MIGRATIONS_PENDING) for m in found):
            database_usable = False
    return messages
