"""Schemathesis against the REST API's own OpenAPI document, over real HTTP: no 5xx, answers
as documented, and afterwards the read model equals a rebuild and every history replays.

The server is real (`acs serve`) and holds real objects first: devices that informed through
the CPE simulator, tasks, a preset, a file, a campaign, a bulk operation, a webhook, spare
keys and users. Each operation is called with examples generated from its schema (valid
ones, then invalid ones), their path parameters often swapped for those real ids so that the
handlers behind the lookups run too. What is left out, and why:

- the key the run uses is never revoked (`DELETE /api/keys/{name}` with its name becomes
  another name): the run would end in 401s. The bootstrap key and spare keys may be revoked.
- webhook URLs are always a closed loopback port: a generated URL would make the ACS send
  events to whatever host it names.
- the check that valid requests are accepted (`positive_data_acceptance`): the document says
  the types, not the rules the handlers check (name patterns, filters, task parameters), so
  a schema-valid request may rightly get 400.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.faults.invariants import assert_read_model_equals_a_rebuild, assert_replayable
from tests.support.cpe import CONNECTION_REQUEST_URL, SimulatedCpe

EXAMPLES: Final = 30
"""Examples per operation and generation mode (46 operations, valid and invalid)."""
TIME_BUDGET: Final = 240.0
"""Seconds the fuzzing may take; operations not reached by then are reported, not skipped."""
CLOSED_PORT: Final = "http://127.0.0.1:9"
"""Where connection requests and webhooks go: nothing listens there, so they fail at once."""
FUZZ_KEY: Final = "fuzzer"
CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SSID: Final = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"

Known = dict[tuple[str, str], list[Any]]
"""Real values: for a (route template, path parameter), and for a (method, route template)
valid request bodies."""
TASKS: Final = [
    {"type": "get_params", "parameters": {"names": [SSID, "InternetGatewayDevice."]}},
    {"type": "set_params", "parameters": {"values": {SSID: "net"}, "types": {SSID: "xsd:string"}}},
    {"type": "refresh", "parameters": {"path": "InternetGatewayDevice.LANDevice."}},
    {"type": "get_attributes", "parameters": {"names": [SSID]}},
    {"type": "set_attributes", "parameters": {"attributes": [
        {"name": SSID, "notification": 2, "access_list": ["Subscriber"]}]}},
    {"type": "add_object", "parameters": {"object": "InternetGatewayDevice.LANDevice.1."
                                                    "WLANConfiguration."}},
    {"type": "delete_object", "parameters": {"object": "InternetGatewayDevice.LANDevice.1."
                                                       "WLANConfiguration.2."}},
    {"type": "reboot", "parameters": {}},
    {"type": "factory_reset"},
    {"type": "download", "parameters": {"url": f"{CLOSED_PORT}/fw.bin", "file_size": 10,
                                        "username": "u", "password": "p", "delay_seconds": 0}},
    {"type": "upload", "parameters": {"file_type": "3 Vendor Configuration File"}},
    {"type": "schedule_inform", "parameters": {"delay_seconds": 30}},
    {"type": "get_rpc_methods", "parameters": {}},
]  # fmt: skip
"""One valid body of every task type."""
JSON: Final = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)  # fmt: skip
"""Any JSON value (big integers, NaN, control characters included), to put in a valid body."""


def inform(server: AcsServer, serials: list[str]) -> list[str]:
    """Devices that informed through the simulator (connection requests go nowhere)."""

    async def run() -> list[str]:
        ids = []
        for serial in serials:
            overrides = {CONNECTION_REQUEST_URL: f"{CLOSED_PORT}/"}
            cpe = SimulatedCpe(f"{server.url}/cwmp", serial=serial, overrides=overrides)
            await cpe.run_session()
            ids.append(cpe.device_id)
        return ids

    return asyncio.run(run())


def created(reply: httpx.Response) -> Any:
    """The body of a 201."""
    assert reply.status_code == 201, reply.text
    return reply.json()


def seed(api: httpx.Client, devices: list[str]) -> tuple[str, Known]:
    """Real objects of every kind; the key the fuzzing uses and the real values to use."""
    key = created(api.post("/api/keys", json={"name": FUZZ_KEY, "role": "admin"}))["key"]
    spares = [created(api.post("/api/keys", json={"name": f"spare{n}", "role": "viewer"}))
              for n in range(2)]  # fmt: skip
    created(api.post("/api/users", json={"name": "spare", "role": "viewer",
                                         "password": "a long enough password"}))  # fmt: skip
    encoded = [quote(device, safe="") for device in devices]
    """Ids in a path are percent-encoded once more (schemathesis leaves a `%` as it is)."""
    paths = [f"/api/devices/{device}" for device in encoded]
    tasks = [created(api.post(f"{path}/tasks?connection_request=false", json=TASKS[0]))
             for path in paths]  # fmt: skip
    for path in paths:
        assert api.put(f"{path}/tags/lab").status_code == 204
    preset = {"name": "wifi", "filter": {"tag": "lab"}, "ensure": {"values": {SSID: "x"}}}
    created(api.post("/api/presets", json=preset))
    stored = created(api.post("/api/files", params={"version": "V2", "name": "fw.bin"},
                              content=b"\x7fFW" * 100))  # fmt: skip
    campaign = created(api.post("/api/campaigns", json=campaign_body(stored["id"], devices)))
    bulk = created(api.post("/api/bulk", json={"devices": devices, "rate": 1, "task": TASKS[7]}))
    webhook = created(api.post("/api/webhooks", json={"url": f"{CLOSED_PORT}/hook",
                                                      "secret": "s" * 20}))  # fmt: skip
    known: Known = {}
    for route in ("", "/tasks", "/reboot", "/factory-reset", "/parameters", "/parameters/history",
                  "/events", "/tags/{tag}", "/connection-request-credentials",
                  "/cwmp-credentials"):  # fmt: skip
        known[(f"/api/devices/{{device_id}}{route}", "device_id")] = encoded
    known[("/api/devices/{device_id}/tags/{tag}", "tag")] = ["lab"]
    known[("/api/tasks/{task_id}", "task_id")] = [task["id"] for task in tasks]
    for route in ("/api/files/{file_id}", "/api/files/{file_id}/content"):
        known[(route, "file_id")] = [stored["id"]]
    for route in ("", "/devices", "/pause", "/resume"):
        known[(f"/api/campaigns/{{campaign_id}}{route}", "campaign_id")] = [campaign["id"]]
    known[("/api/bulk/{bulk_id}", "bulk_id")] = [bulk["id"]]
    known[("/api/webhooks/{webhook_id}", "webhook_id")] = [webhook["id"]]
    known[("/api/presets/{name}", "name")] = ["wifi"]
    known[("/api/keys/{name}", "name")] = ["bootstrap", *(spare["name"] for spare in spares)]
    known[("/api/users/{name}", "name")] = ["spare"]
    known.update(valid_bodies(devices, stored["id"], preset))
    return key, known


def campaign_body(file_id: str, devices: list[str]) -> dict[str, Any]:
    """A campaign of one device."""
    return {"file_id": file_id, "devices": devices[:1], "batch_size": 1, "rate": 1}


def valid_bodies(devices: list[str], file_id: str, preset: dict[str, Any]) -> Known:
    """Bodies the handlers accept, for the mutations to start from."""
    credentials = [{"username": "cpe", "password": "secret"}]
    return {
        ("POST", "/api/devices/{device_id}/tasks"): TASKS,
        ("PUT", "/api/devices/{device_id}/connection-request-credentials"): credentials,
        ("PUT", "/api/devices/{device_id}/cwmp-credentials"): credentials,
        ("POST", "/api/presets"): [preset, {**preset, "name": "other", "events": ["1 BOOT"]}],
        ("PUT", "/api/presets/{name}"): [{k: v for k, v in preset.items() if k != "name"}],
        ("POST", "/api/campaigns"): [campaign_body(file_id, devices),
                                     {"file_id": file_id, "filter": {"tag": "lab"}}],
        ("POST", "/api/bulk"): [{"filter": {"tag": "lab"}, "rate": 5, "task": task}
                                for task in TASKS],
        ("POST", "/api/webhooks"): [{"url": "", "secret": "s", "event_types": ["TaskQueued"]}],
        ("POST", "/api/keys"): [{"name": "k1", "role": "viewer"}],
        ("POST", "/api/users"): [{"name": "u1", "role": "operator", "password": "x" * 12}],
    }  # fmt: skip


def places(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) inside a JSON value."""
    found: list[tuple[Any, Any]] = []
    keys = value.keys() if isinstance(value, dict) else range(len(value))
    for key in keys:
        found.append((value, key))
        if isinstance(value[key], dict | list):
            found += places(value[key])
    return found


def mutated(body: Any, draw: Callable[[Any], Any]) -> Any:
    """A valid body with one value replaced by any JSON, or removed."""
    body = copy.deepcopy(body)
    spots = places(body)
    if spots:
        container, key = draw(st.sampled_from(spots))
        if draw(st.booleans()):
            container[key] = draw(JSON)
        else:
            del container[key]
    return body


def realistic(case: Any, mode: GenerationMode, known: Known, draw: Callable[[Any], Any]) -> Any:
    """The case with some path parameters swapped for real ids, its body sometimes for a
    valid or mutated valid one, and the exclusions applied."""
    path = case.operation.path
    for name in list(case.path_parameters or {}):
        real = known.get((path, name))
        if real and draw(st.integers(0, 3)):
            case.path_parameters[name] = draw(st.sampled_from(real))
    valid = known.get((case.operation.method.upper(), path))
    if valid and mode == GenerationMode.POSITIVE:
        choice = draw(st.sampled_from(["mutated", "valid", "generated"]))
        if choice != "generated":
            body = draw(st.sampled_from(valid))
            case.body = copy.deepcopy(body) if choice == "valid" else mutated(body, draw)
    if path == "/api/keys/{name}" and case.path_parameters.get("name") == FUZZ_KEY:
        case.path_parameters["name"] = "spare0"
    if path == "/api/webhooks" and isinstance(case.body, dict) and "url" in case.body:
        case.body["url"] = f"{CLOSED_PORT}/hook"
    return case


def fuzz(operation: Any, mode: GenerationMode, known: Known, call: Callable[[Any], None]) -> None:
    """Run `call` on EXAMPLES generated cases of one operation."""

    @st.composite
    def cases(draw: Callable[[Any], Any]) -> Any:
        return realistic(draw(operation.as_strategy(generation_mode=mode)), mode, known, draw)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases())
    def run(case: Any) -> None:
        call(case)

    run()


def test_the_api_answers_generated_requests_as_documented_and_keeps_its_invariants(
    database_url: str,
) -> None:
    server = AcsServer(database_url, env={"ACS_DB_POOL_SIZE": "8"}).start()
    try:
        with httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=30,
                          trust_env=False) as api:  # fmt: skip
            key, known = seed(api, inform(server, ["FZ0001", "SN-2"]))
        headers = {"Authorization": f"Bearer {key}"}
        failures = run_schemathesis(server.url, headers, known)
        assert not failures, "\n\n".join(failures)
        with httpx.Client(base_url=server.url, headers=headers, trust_env=False) as api:
            hooks = api.get("/api/webhooks").json()
            assert all(hook["url"].startswith(CLOSED_PORT) for hook in hooks)
            eventually(lambda: api.get("/api/status/projections").json()["lag_events"] == 0)
    finally:
        server.stop()
    errors = [line for line in server.log.read_text().splitlines() if " ERROR " in line]
    assert not errors, errors[:5]
    assert_read_model_equals_a_rebuild(database_url)
    assert assert_replayable(database_url) >= 2


def run_schemathesis(url: str, headers: dict[str, str], known: Known) -> list[str]:
    """Every operation with valid, then invalid examples; the distinct failures found."""
    schema = schemathesis.openapi.from_url(f"{url}/schema/openapi.json", headers=headers)
    found: dict[tuple[str, str], str] = {}
    session = requests.Session()
    deadline = time.monotonic() + TIME_BUDGET
    unreached = []
    statuses: Counter[tuple[str, int]] = Counter()

    def call(case: Any) -> None:
        try:
            response = case.call(session=session, headers=headers)
        except ValueError:  # the client cannot build the URL (a lone "[" in a path): no request
            statuses[case.operation.label, 0] += 1
            return
        try:
            statuses[case.operation.label, response.status_code] += 1
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:
            what = [*str(exc).split("\n\n"), repr(exc)][1]  # the check's title
            found.setdefault((case.operation.label, what), str(exc))

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time.monotonic() > deadline:
                unreached.append(f"{operation.label} ({mode.value})")
                continue
            fuzz(operation, mode, known, call)
    for label in dict.fromkeys(label for label, _ in statuses):
        print(label, {code: n for (op, code), n in sorted(statuses.items()) if op == label})
    assert not unreached, f"over {TIME_BUDGET} s, not reached: {unreached}"
    return [f"{label}:\n{text}" for (label, _), text in found.items()]
