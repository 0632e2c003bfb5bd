import pytest
from django.core import checks

from apps.core import checks as core_checks
from apps.core import probes


@pytest.fixture
def registry(monkeypatch):
    """An empty probe registry in place of the apps' one."""
    registry = probes.ProbeRegistry()
    monkeypatch.setattr(probes, "registry", registry)
    return registry


def probe(registry, message_id, *tags, level=checks.INFO):
    def run(**kwargs):
        return [checks.CheckMessage(level, message_id, id=message_id)]

    registry.register(run, *tags)


def run_ids(**options):
    return [message.id for message in probes.run_probes(**options)]


def test_probes_run_in_the_order_they_were_registered(registry):
    for n in range(5):
        probe(registry, f"app.I00{n}")

    assert run_ids() == ["app.I000", "app.I001", "app.I002", "app.I003", "app.I004"]


def test_offline_skips_the_probes_that_call_vapi(registry):
    probe(registry, "app.I001")
    probe(registry, "vapi.I001", probes.NETWORK)
    probe(registry, "vapi.I002", probes.DATABASE, probes.NETWORK)

    assert run_ids(offline=True) == ["app.I001"]
    assert run_ids() == ["app.I001", "vapi.I001", "vapi.I002"]


@pytest.mark.parametrize("failure", [probes.DATABASE_DOWN, probes.MIGRATIONS_PENDING])
def test_a_failed_database_or_schema_skips_the_probes_that_read_rows(registry, failure):
    probe(registry, failure, level=checks.ERROR)
    probe(registry, "businesses.I001", probes.DATABASE)
    probe(registry, "core.I003")
    probe(registry, "vapi.I006", probes.NETWORK)

    assert run_ids() == [failure, "core.I003", "vapi.I006"]


def test_the_core_probes_come_first():
    assert probes.registry.get_checks()[:3] == [
        core_checks.check_database,
        core_checks.check_migrations,
        core_checks.check_broker,
    ]


def test_without_a_database_only_the_services_are_probed(mocker):
    mocker.patch(
        "apps.core.health.check_database", return_value="OperationalError: gone"
    )

    assert run_ids(offline=True) == [probes.DATABASE_DOWN, "core.I003"]
