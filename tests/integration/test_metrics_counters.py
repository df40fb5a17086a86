"""The metrics counters on real PostgreSQL: exact, independent of batching, rebuilt with the
read model, and backfilled by their migration."""

from __future__ import annotations

from typing import Any

from acs.adapters.migrations import MIGRATIONS_DIR
from acs.api.services import Services
from acs.domain.tasks import GetParams, RebootTask, SetParams
from acs.projections.metrics import read_metrics
from tests.support.cpe import SimulatedCpe
from tests.support.driver import run_session

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
COUNTERS = "SELECT name, labels, value FROM metrics_counters ORDER BY name, labels::text"


def history(services: Services, devices: int = 3) -> None:
    """Per device: a bootstrap, a session running three tasks that succeed and one that
    faults (9005), the reboot's `1 BOOT, M Reboot` session and a periodic one."""
    for n in range(devices):
        cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial=f"M{n}")
        run_session(services.cwmp, cpe)
        for spec in (GetParams(names=(SW,)), SetParams(values={SSID: "x"}), RebootTask()):
            services.commands.queue_task(cpe.device_id, spec, "tester")
        services.commands.queue_task(cpe.device_id, GetParams(names=("No.Such.Name",)), "t")
        run_session(services.cwmp, cpe)
        run_session(services.cwmp, cpe)
        run_session(services.cwmp, cpe, ["2 PERIODIC"])


def counters(services: Services) -> list[tuple[Any, ...]]:
    with services.pool.connection() as conn:
        return conn.execute(COUNTERS).fetchall()


def by_topic(services: Services, topic: str) -> int:
    with services.pool.connection() as conn:
        row = conn.execute("SELECT count(*) FROM device_events WHERE topic = %s", (topic,))
        return int(row.fetchone()[0])  # type: ignore[index]


def test_counters_match_the_events_stored(services: Services) -> None:
    history(services)
    services.projector.catch_up()
    found = {
        (name, tuple(sorted(labels.items()))): value for name, labels, value in counters(services)
    }
    assert found[("acs_sessions_total", ())] == by_topic(services, "InformReceived.v1") == 12
    assert found[("acs_informs_total", (("event_code", "0 BOOTSTRAP"),))] == 3
    assert found[("acs_informs_total", (("event_code", "2 PERIODIC"),))] == 6
    assert found[("acs_informs_total", (("event_code", "M Reboot"),))] == 3
    rpcs = sum(v for (name, _), v in found.items() if name == "acs_rpcs_total")
    assert rpcs == by_topic(services, "RpcSent.v1")
    assert found[("acs_rpcs_total", (("method", "Reboot"),))] == 3
    fault = ("acs_cpe_faults_total", (("code", "9005"), ("method", "GetParameterValues")))
    assert found[fault] == 3
    assert found[("acs_tasks_finished_total", (("status", "done"),))] == 9
    assert found[("acs_tasks_finished_total", (("status", "fault"),))] == 3


def test_counters_do_not_depend_on_batching_and_are_rebuilt_with_the_read_model(
    services: Services,
) -> None:
    history(services, devices=2)
    services.projector.catch_up()
    live = counters(services)
    for size in (1, 17):
        services.projector.rebuild(batch=size)
        assert counters(services) == live, f"batches of {size}"


def test_the_migration_backfills_the_counters_of_events_already_projected(
    services: Services,
) -> None:
    history(services, devices=2)
    services.projector.catch_up()
    live = counters(services)
    migration = (MIGRATIONS_DIR / "0010_metrics.sql").read_text()
    backfill = migration[migration.index("-- backfill") :]
    with services.pool.connection() as conn:
        conn.execute("DELETE FROM metrics_counters")
        conn.execute(backfill.encode())
    assert counters(services) == live


def test_the_snapshot_reports_tasks_devices_and_lag(services: Services) -> None:
    history(services, devices=2)
    cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial="M0")
    services.commands.queue_task(cpe.device_id, GetParams(names=(SW,)), "tester")
    services.projector.catch_up()
    snapshot = read_metrics(services.pool, services.read)
    assert snapshot.open_tasks == {"pending": 1, "sent": 0}
    assert (snapshot.devices_online, snapshot.devices_offline) == (2, 0)
    assert snapshot.events == services.store.max_position() and snapshot.lag_events == 0
