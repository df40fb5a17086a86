"""The load generator's pure parts: virtual CPEs, schedules, statistics, the command line."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from pathlib import Path

import pytest

from acs.cli import parser
from acs.domain.codec import decode, encode
from acs.domain.messages import (
    CwmpVersion,
    Download,
    Envelope,
    EventStruct,
    FactoryReset,
    FactoryResetResponse,
    Fault,
    GetParameterNames,
    GetParameterNamesResponse,
    GetParameterValues,
    GetParameterValuesResponse,
    Inform,
    ParameterValue,
    Reboot,
    RebootResponse,
    SetParameterValues,
    SetParameterValuesResponse,
)
from acs.loadgen.config import ConfigError, config_from_args, loopback_url
from acs.loadgen.datamodel import DataModel, load, parse
from acs.loadgen.http import HttpProtocolError, parse_head, request_head
from acs.loadgen.monitor import RssTracker, with_descendants
from acs.loadgen.report import SUMMARY_KEYS, summary, table
from acs.loadgen.schedule import JITTER, arrivals, task_arrivals
from acs.loadgen.stats import LatencyHistogram, RunStats, quantiles
from acs.loadgen.task_mix import TaskMixError, parse_task_mix, task_body, tasks_path
from acs.loadgen.virtual_cpe import Profile, VirtualCpe
from tests.support.schema import validate

IGD = "InternetGatewayDevice."
UPTIME = IGD + "DeviceInfo.UpTime"
SSID = IGD + "LANDevice.1.WLANConfiguration.1.SSID"
WLAN_SENT = IGD + "LANDevice.1.WLANConfiguration.1.TotalBytesSent"
SOFTWARE = IGD + "DeviceInfo.SoftwareVersion"
PARAMETER_KEY = IGD + "ManagementServer.ParameterKey"
INTERVAL = IGD + "ManagementServer.PeriodicInformInterval"
NOW = 1_800_000_000.0
TINY_CSV = """Parameter,Object,Writable,Value,Value type
DeviceID.Manufacturer,false,false,Acme,xsd:string
DeviceID.OUI,false,false,00AA11,xsd:string
DeviceID.ProductClass,false,false,Box 1,xsd:string
Device,true,false,,
Device.DeviceInfo,true,false,,
Device.DeviceInfo.SoftwareVersion,false,false,1.0,xsd:string
Device.DeviceInfo.Name,false,true,box,xsd:string
"""


@pytest.fixture(scope="module")
def model() -> DataModel:
    return load()


@pytest.fixture
def cpe(model: DataModel) -> VirtualCpe:
    return VirtualCpe(Profile(model, 10), 7, NOW)


def values(message: object) -> dict[str, str]:
    assert isinstance(message, Inform | GetParameterValuesResponse)
    return {p.name: p.value for p in message.parameters}


# --- the data model ----------------------------------------------------------


def test_the_shipped_huawei_model_is_loaded_from_the_package(model: DataModel) -> None:
    assert (model.manufacturer, model.oui, model.product_class) == (
        "Huawei Technologies Co., Ltd.",
        "202BC1",
        "BM632w",
    )
    assert model.parameters[SOFTWARE].value == "V100R001IRQC56B017"
    assert model.settable == SSID
    assert model.readable == SOFTWARE


def test_a_model_without_traffic_counters_gets_the_vendor_counter() -> None:
    tiny = parse(TINY_CSV)
    assert tiny.counters == ("Device.X_ACS_Sim.Counter",)
    assert "Device.X_ACS_Sim." in tiny.objects
    assert tiny.inform_names[-1] == "Device.X_ACS_Sim.Counter"


# --- the Inform ----------------------------------------------------------------


def test_the_first_inform_bootstraps_with_about_a_dozen_parameters(cpe: VirtualCpe) -> None:
    inform = cpe.inform(NOW)
    assert inform.events == (EventStruct("0 BOOTSTRAP"), EventStruct("1 BOOT"))
    assert inform.device_id.serial_number == "SIM0000007"
    assert inform.device_id.oui == "202BC1"
    assert inform.current_time == "2027-01-15T08:00:00Z"
    sent = values(inform)
    assert 10 <= len(sent) <= 14
    assert {IGD + "DeviceSummary", SOFTWARE, UPTIME, PARAMETER_KEY, INTERVAL} <= set(sent)
    assert sent[INTERVAL] == "10"
    assert any(name.endswith("WANIPConnection.1.ExternalIPAddress") for name in sent)


def test_a_registered_cpe_opens_with_a_periodic_inform(model: DataModel) -> None:
    registered = VirtualCpe(Profile(model, 10), 7, NOW, registered=True)
    assert registered.inform(NOW).events == (EventStruct("2 PERIODIC"),)
    url = "http://127.0.0.1:1/cwmp"
    argv = ["simulate", "--url", url, "--devices", "1", "--rate", "1", "--duration", "1"]
    assert not config_from_args(parser().parse_args(argv)).registered
    assert config_from_args(parser().parse_args([*argv, "--registered"])).registered


def test_the_inform_is_a_schema_valid_envelope(cpe: VirtualCpe) -> None:
    inform = cpe.inform(NOW)
    body = encode(Envelope(message=inform, id="1"))
    validate(body, CwmpVersion.V1_0)
    assert decode(body).message == inform


def test_uptime_and_traffic_counters_change_at_each_inform(cpe: VirtualCpe) -> None:
    first, second = values(cpe.inform(NOW)), values(cpe.inform(NOW + 30))
    changed = {name for name in first if first[name] != second[name]}
    assert UPTIME in changed
    assert WLAN_SENT in changed
    assert 2 <= len(changed) <= 5
    assert int(second[UPTIME]) - int(first[UPTIME]) == 30


def test_later_sessions_are_periodic_once_the_bootstrap_was_delivered(cpe: VirtualCpe) -> None:
    cpe.inform(NOW)
    cpe.end_session(NOW, completed=False)
    assert cpe.inform(NOW).events[0].event_code == "0 BOOTSTRAP"  # retried
    cpe.end_session(NOW, completed=True)
    assert cpe.inform(NOW).events == (EventStruct("2 PERIODIC"),)


def test_a_reboot_takes_effect_after_the_session_with_its_command_key(cpe: VirtualCpe) -> None:
    cpe.inform(NOW)
    assert cpe.answer(Reboot(command_key="key-1"), NOW) == RebootResponse()
    assert cpe.inform(NOW).events[0].event_code == "0 BOOTSTRAP"  # not yet
    cpe.end_session(NOW + 5, completed=True)
    inform = cpe.inform(NOW + 8)
    assert inform.events == (EventStruct("1 BOOT"), EventStruct("M Reboot", "key-1"))
    assert values(inform)[UPTIME] == "3"


def test_a_factory_reset_forgets_changes_and_bootstraps_again(cpe: VirtualCpe) -> None:
    cpe.answer(SetParameterValues((ParameterValue(SSID, "mine"),), "k"), NOW)
    assert cpe.answer(FactoryReset(), NOW) == FactoryResetResponse()
    cpe.end_session(NOW, completed=True)
    assert cpe.inform(NOW).events == (EventStruct("0 BOOTSTRAP"), EventStruct("1 BOOT"))
    answer = cpe.answer(GetParameterValues((SSID,)), NOW)
    assert values(answer)[SSID] == "404 WiMAX Not Found"


# --- answers to RPCs -------------------------------------------------------------


def test_get_parameter_values_reads_names_and_partial_paths(cpe: VirtualCpe) -> None:
    answer = values(cpe.answer(GetParameterValues((SOFTWARE, IGD + "ManagementServer.")), NOW))
    assert answer[SOFTWARE] == "V100R001IRQC56B017"
    assert answer[INTERVAL] == "10"
    assert len(answer) == 1 + 10  # SoftwareVersion and the 10 of ManagementServer.
    everything = values(cpe.answer(GetParameterValues(("",)), NOW))
    assert len(everything) == len(cpe.profile.model.parameters)
    assert everything[IGD + "DeviceInfo.SerialNumber"] == "SIM0000007"


def test_unknown_names_are_fault_9005(cpe: VirtualCpe) -> None:
    answer = cpe.answer(GetParameterValues((IGD + "Nope",)), NOW)
    assert isinstance(answer, Fault)
    assert answer.code == 9005


def test_set_parameter_values_stores_in_the_cpe_only(model: DataModel) -> None:
    profile = Profile(model, 10)
    one, other = VirtualCpe(profile, 1, NOW), VirtualCpe(profile, 2, NOW)
    set_ssid = SetParameterValues((ParameterValue(SSID, "home"),), parameter_key="task-1")
    assert one.answer(set_ssid, NOW) == SetParameterValuesResponse(status=0)
    read = GetParameterValues((SSID, PARAMETER_KEY))
    assert values(one.answer(read, NOW)) == {SSID: "home", PARAMETER_KEY: "task-1"}
    assert values(other.answer(read, NOW))[SSID] == "404 WiMAX Not Found"
    assert other.overlay is None


@pytest.mark.parametrize(
    ("parameter", "code"),
    [
        (ParameterValue(IGD + "Nope", "x"), 9005),
        (ParameterValue(SOFTWARE, "x"), 9008),
        (ParameterValue(INTERVAL, "soon", "xsd:unsignedInt"), 9007),
        (ParameterValue(INTERVAL, "-5", "xsd:unsignedInt"), 9007),
    ],
)
def test_bad_set_parameter_values_fault_9003_and_change_nothing(
    cpe: VirtualCpe, parameter: ParameterValue, code: int
) -> None:
    request = SetParameterValues((ParameterValue(SSID, "home"), parameter), "k")
    answer = cpe.answer(request, NOW)
    assert isinstance(answer, Fault)
    assert answer.code == 9003
    assert [f.fault_code for f in answer.set_parameter_values_faults] == [code]
    assert cpe.overlay is None


def test_get_parameter_names_lists_the_next_level(cpe: VirtualCpe) -> None:
    answer = cpe.answer(GetParameterNames(IGD + "ManagementServer.", next_level=True), NOW)
    assert isinstance(answer, GetParameterNamesResponse)
    names = {info.name: info.writable for info in answer.parameters}
    assert names[INTERVAL] is True
    assert names[PARAMETER_KEY] is False
    whole = cpe.answer(GetParameterNames("", next_level=True), NOW)
    assert isinstance(whole, GetParameterNamesResponse)
    assert [info.name for info in whole.parameters] == [IGD]


def test_other_methods_get_fault_9000(cpe: VirtualCpe) -> None:
    answer = cpe.answer(Download(command_key="", file_type="1", url="http://x/"), NOW)
    assert isinstance(answer, Fault)
    assert answer.code == 9000


def test_answers_encode_as_schema_valid_envelopes(cpe: VirtualCpe) -> None:
    for request in (
        GetParameterValues((IGD + "DeviceInfo.",)),
        SetParameterValues((ParameterValue(SSID, "x"),), "k"),
        GetParameterNames(IGD + "DeviceInfo.", next_level=False),
        Reboot("k"),
        Download(command_key="", file_type="1", url="http://x/"),
    ):
        validate(encode(Envelope(message=cpe.answer(request, NOW), id="9")), CwmpVersion.V1_0)


# --- schedules -------------------------------------------------------------------


def test_n_devices_make_the_target_rate_over_the_duration() -> None:
    schedule = list(arrivals(devices=50, rate=100, duration=10, seed=1))
    assert 970 <= len(schedule) <= 1030
    assert [at for at, _ in schedule] == sorted(at for at, _ in schedule)
    per_second = Counter(int(at) for at, _ in schedule)
    assert all(85 <= per_second[second] <= 115 for second in range(10))
    assert {index for _, index in schedule} == set(range(50))


def test_first_sessions_spread_over_the_first_period_and_jitter_is_bounded() -> None:
    schedule = list(arrivals(devices=200, rate=20, duration=60, seed=3))
    first: dict[int, float] = {}
    gaps: list[float] = []
    for at, index in schedule:
        if index in first:
            gaps.append(at - first[index])
        first[index] = at
    assert len({index for at, index in schedule if at < 10}) == 200  # period 200/20 = 10 s
    assert all(10 * (1 - JITTER) <= gap <= 10 * (1 + JITTER) for gap in gaps)
    assert statistics.mean(gaps) == pytest.approx(10, rel=0.01)


def test_the_schedule_is_reproducible_from_its_seed() -> None:
    assert list(arrivals(5, 5, 3, seed=9)) == list(arrivals(5, 5, 3, seed=9))
    assert list(arrivals(5, 5, 3, seed=9)) != list(arrivals(5, 5, 3, seed=10))


def test_tasks_are_queued_at_each_type_rate() -> None:
    kinds = Counter(kind for _, kind in task_arrivals({"get_params": 5, "set_params": 2}, 10))
    assert kinds == {"get_params": 49, "set_params": 19}


# --- the task mix ------------------------------------------------------------------


def test_the_task_mix_is_parsed() -> None:
    assert parse_task_mix("get_params=5, set_params=2.5") == {"get_params": 5, "set_params": 2.5}
    assert parse_task_mix("") == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("download=1", "unknown task type"),
        ("get_params=fast", "not a number"),
        ("get_params=-1", "must be > 0"),
        ("get_params=0", "must be > 0"),
        ("get_params=nan", "must be > 0"),
        ("get_params", "expected get_params=RATE"),
        ("get_params=1,get_params=2", "twice"),
    ],
)
def test_bad_task_mixes_are_refused(spec: str, message: str) -> None:
    with pytest.raises(TaskMixError, match=message):
        parse_task_mix(spec)


def test_task_requests_name_the_device_id_encoded_twice(model: DataModel) -> None:
    assert tasks_path(model, "SIM0000001") == (
        "/api/devices/202BC1-BM632w-SIM0000001/tasks?connection_request=false"
    )
    assert tasks_path(parse(TINY_CSV), "SIM0000001").startswith("/api/devices/00AA11-Box%25201-")
    assert task_body("get_params", model, 1) == {
        "type": "get_params",
        "parameters": {"names": [SOFTWARE]},
    }
    assert task_body("set_params", model, 3)["parameters"] == {"values": {SSID: "sim-3"}}


# --- URLs and the command line -------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/cwmp", "http://localhost/cwmp", "http://[::1]:80/", "http://127.9.9.9"],
)
def test_loopback_urls_are_accepted(url: str) -> None:
    assert loopback_url(url).host in ("127.0.0.1", "localhost", "::1", "127.9.9.9")


@pytest.mark.parametrize(
    "url", ["http://example.com/cwmp", "http://10.0.0.1/cwmp", "https://127.0.0.1/", "ftp://x"]
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        loopback_url(url)


def test_the_target_keeps_path_and_base() -> None:
    target = loopback_url("http://127.0.0.1:8080/cwmp")
    assert (target.port, target.path, target.base) == (8080, "/cwmp", "http://127.0.0.1:8080")


@pytest.mark.parametrize(
    "extra",
    [
        ["--url", "http://192.0.2.1/cwmp"],
        ["--url", "http://127.0.0.1/cwmp", "--task-mix", "nope=1"],
        ["--url", "http://127.0.0.1/cwmp", "--devices", "0"],
        ["--url", "http://127.0.0.1/cwmp", "--rate", "-3"],
    ],
)
def test_bad_arguments_exit_with_code_2(
    extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["simulate", "--devices", "1", "--rate", "1", "--duration", "1", *extra]
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_the_command_line_names_are_the_contract() -> None:
    argv = (
        "simulate --url http://127.0.0.1:1/cwmp --devices 3 --rate 2.5 --duration 4 --json "
        "--task-mix get_params=1 --server-pid 10 11 --server-pid 12 --seed 5 --concurrency 8 "
        "--quiet --status-url http://127.0.0.1:2 --data-model m.csv"
    )
    args = parser().parse_args(argv.split(" "))
    assert (args.devices, args.rate, args.duration, args.seed, args.concurrency) == (
        3,
        2.5,
        4,
        5,
        8,
    )
    assert args.server_pid == [10, 11, 12]
    assert args.task_mix == {"get_params": 1.0}
    assert (args.json, args.quiet, args.data_model) == (True, True, Path("m.csv"))


# --- statistics and the summary ----------------------------------------------------------


def test_histogram_percentiles_are_within_half_a_percent_of_exact_ones() -> None:
    samples = [0.5 + (i * 7919 % 10_000) / 7.0 for i in range(10_000)]
    histogram = LatencyHistogram()
    for sample in samples:
        histogram.record(sample)
    ordered = sorted(samples)
    for p in (50, 95, 99):
        exact = ordered[math.ceil(p / 100 * len(ordered)) - 1]
        assert histogram.percentile(p) == pytest.approx(exact, rel=0.005)
    assert histogram.percentile(100) == max(samples)
    assert LatencyHistogram().percentile(50) is None


def test_quantiles_of_few_samples() -> None:
    assert quantiles([]) is None
    assert quantiles([2.0]) == {"p50": 2.0, "p99": 2.0, "max": 2.0}
    result = quantiles([float(i) for i in range(101)])
    assert result == {"p50": 50.0, "p99": 99.0, "max": 100.0}


def test_the_summary_has_exactly_the_contract_keys() -> None:
    stats = RunStats(sessions=30, late=2, tasks_created=4)
    for ms in (10.0, 20.0, 30.0):
        stats.session_ms.record(ms)
    stats.errors.update({"http_503": 1, "timeout": 2})
    stats.rpcs.update({"GetParameterValues": 3})
    result = summary(
        stats,
        devices=20,
        target_rate=10.0,
        duration=3.0,
        elapsed=3.0,
        projection_lag=None,
        server_rss=None,
    )
    assert tuple(result) == SUMMARY_KEYS
    assert result["sessions_per_second"] == 10.0
    assert result["errors"] == 3
    assert result["error_kinds"] == {"http_503": 1, "timeout": 2}
    assert set(result["session_ms"]) == {"p50", "p95", "p99", "max"}
    assert result["session_ms"]["max"] == 30.0
    assert result["projection_lag_s"] is None
    assert "sessions" in table(result)


def test_rss_is_summed_over_the_server_and_its_descendants(tmp_path: Path) -> None:
    for pid, parent, kb in ((10, 1, 1024), (11, 10, 2048), (12, 11, 1024), (13, 1, 9999)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (py thon) S {parent} 1 1")
        (tmp_path / str(pid) / "status").write_text(f"Name:\tpy\nVmRSS:\t  {kb} kB\n")
    assert with_descendants((10,), {10: 1, 11: 10, 12: 11, 13: 1}) == [10, 11, 12]
    tracker = RssTracker((10,), proc=tmp_path)
    tracker.sample()
    (tmp_path / "12" / "status").write_text("VmRSS:\t 3072 kB\n")
    tracker.sample()
    result = tracker.summary()
    assert result is not None
    assert (result["start"], result["end"], result["max"]) == (4.0, 6.0, 6.0)
    assert result["per_process"]["12"] == {"start": 1.0, "end": 3.0, "max": 3.0}
    assert RssTracker((), proc=tmp_path).summary() is None


# --- HTTP framing ------------------------------------------------------------------------------


def test_responses_heads_give_status_headers_and_cookies() -> None:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n"
        b"set-cookie: acs_session=abc; Path=/; HttpOnly\r\nConnection: keep-alive"
    )
    status, headers, cookies = parse_head(head)
    assert (status, headers["content-length"], cookies) == (200, "12", {"acs_session": "abc"})
    with pytest.raises(HttpProtocolError):
        parse_head(b"SMTP ready")
    request = request_head("POST", "127.0.0.1:80", "/cwmp", {"Cookie": "a=b"}, 5)
    assert request.startswith(b"POST /cwmp HTTP/1.1\r\nHost: 127.0.0.1:80\r\nContent-Length: 5\r\n")
    assert request.endswith(b"Cookie: a=b\r\n\r\n")
