"""The pure rules of campaigns and bulk operations: windows, outcomes, the stop rule, batches,
pacing, campaign decisions and download signatures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acs.application.downloads import DownloadLinks
from acs.domain import campaign_commands as decide
from acs.domain.campaign_commands import CampaignNotFoundError, CampaignStateError
from acs.domain.campaigns import (
    CampaignError,
    CampaignRequest,
    define_campaign,
    device_outcome,
    failure_rate,
    in_window,
    next_batch,
    pacing,
    should_pause,
)
from acs.domain.events import DeviceEvent
from acs.domain.task_steps import Context, Progress, request_for
from acs.domain.tasks import DownloadTask, TaskSpecError, parse_task

AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(hh: int, mm: int) -> datetime:
    return datetime(2024, 5, 1, hh, mm, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "moment", "open_"),
    [
        ("", at(12, 0), True),
        ("01:00-05:00", at(1, 0), True),
        ("01:00-05:00", at(4, 59), True),
        ("01:00-05:00", at(5, 0), False),
        ("01:00-05:00", at(0, 59), False),
        ("22:00-04:00", at(23, 30), True),
        ("22:00-04:00", at(3, 59), True),
        ("22:00-04:00", at(12, 0), False),
    ],
)
def test_a_maintenance_window_is_utc_and_may_wrap_past_midnight(
    window: str, moment: datetime, open_: bool
) -> None:
    assert in_window(window, moment) is open_


@pytest.mark.parametrize("window", ["1:00-2:00", "24:00-01:00", "01:00", "01:60-02:00"])
def test_a_malformed_window_is_refused(window: str) -> None:
    request = CampaignRequest(file_id="f", devices=["a"], window=window)
    with pytest.raises(CampaignError):
        define_campaign(request, version="V2", file_type="1 x", file_size=1)


@pytest.mark.parametrize(
    ("status", "version", "age", "expected"),
    [
        ("fault", "V1", 1, ("failed", "download faulted")),
        ("done", "V2", 1, ("verified", "reports V2")),
        ("done", "V1", 1, None),
        ("done", "V1", 99, ("failed", "reports V1, not V2")),
        ("sent", "V1", 1, None),
        ("pending", None, 99, ("failed", "timed out")),
    ],
)
def test_a_device_is_verified_only_by_the_version_it_reports_after_the_download(
    status: str, version: str | None, age: float, expected: tuple[str, str] | None
) -> None:
    assert device_outcome(status, version, "V2", age, timeout=60) == expected


def test_the_stop_rule_pauses_only_above_the_threshold() -> None:
    batch = ["verified"] * 16 + ["failed"] * 4
    assert failure_rate(batch) == 0.2
    assert not should_pause(batch, 0.2)
    assert should_pause([*batch[1:], "failed"], 0.2)
    assert failure_rate([]) == 0 and not should_pause([], 0)


def test_the_next_batch_skips_devices_taken_or_already_upgraded() -> None:
    candidates = [("a", "V1"), ("b", "V2"), ("c", None), ("d", "V1"), ("e", "V1")]
    assert next_batch(candidates, {"d"}, "V2", 2) == ["a", "c"]
    assert next_batch(candidates, set(), "V2", 10) == ["a", "c", "d", "e"]
    assert next_batch([("b", "V2")], set(), "V2", 10) == []


def test_connection_requests_are_paced_at_the_rate() -> None:
    assert pacing(4, 2.0) == [0.0, 0.5, 1.0, 1.5]
    assert pacing(0, 5.0) == []


def test_a_campaign_needs_a_versioned_file_and_a_filter_or_a_list() -> None:
    request = CampaignRequest(file_id="f", filter={"tag": "x"})
    with pytest.raises(CampaignError, match="version"):
        define_campaign(request, version="", file_type="1 Firmware Upgrade Image", file_size=1)
    with pytest.raises(CampaignError, match="either"):
        define_campaign(CampaignRequest(file_id="f"), version="V2", file_type="1 x", file_size=1)
    with pytest.raises(CampaignError, match="rate"):
        define_campaign(CampaignRequest(file_id="f", devices=["a"], rate=0), version="V2",
                        file_type="1 x", file_size=1)  # fmt: skip


def test_a_campaign_pauses_resumes_and_completes_through_its_events() -> None:
    definition = define_campaign(CampaignRequest(file_id="f", devices=["a"]), version="V2",
                                 file_type="1 Firmware Upgrade Image", file_size=3)  # fmt: skip
    history: list[DeviceEvent] = decide.create_campaign(
        campaign_id="c1", definition=definition, actor="alice", at=AT
    )
    state = decide.fold(history)
    assert state is not None and state.status == "running"
    history += decide.pause_campaign(state, campaign_id="c1", reason="too many", actor="x", at=AT)
    paused = decide.fold(history)
    assert paused is not None and (paused.status, paused.reason) == ("paused", "too many")
    assert decide.pause_campaign(paused, campaign_id="c1", reason="", actor="x", at=AT) == []
    history += decide.resume_campaign(paused, campaign_id="c1", actor="bob", at=AT)
    history += decide.complete_campaign(decide.fold(history), campaign_id="c1", actor="c", at=AT)
    done = decide.fold(history)
    assert done is not None and done.status == "completed" and done.version == 4
    assert [e.originator_version for e in history] == [1, 2, 3, 4]
    with pytest.raises(CampaignStateError):
        decide.resume_campaign(done, campaign_id="c1", actor="bob", at=AT)
    with pytest.raises(CampaignNotFoundError):
        decide.pause_campaign(None, campaign_id="zz", reason="", actor="x", at=AT)


def test_download_urls_are_signed_per_task() -> None:
    links = DownloadLinks("secret")
    url = links.url("http://acs:8080/", "file1", "task1")
    file_id, task_id, signature = url.removeprefix("http://acs:8080/files/").split("/")
    assert (file_id, task_id) == ("file1", "task1")
    assert links.verify("file1", "task1", signature)
    assert not links.verify("file1", "task2", signature)
    assert not DownloadLinks("other").verify("file1", "task1", signature)
    assert links.signature("file1", "task2") != signature


def test_a_download_names_either_a_url_or_a_stored_file() -> None:
    spec = parse_task("download", {"file_id": "abc"})
    assert isinstance(spec, DownloadTask) and spec.url == ""
    with pytest.raises(TaskSpecError):
        parse_task("download", {})
    with pytest.raises(TaskSpecError):
        parse_task("download", {"file_id": "abc", "url": "http://x/fw"})
    ctx = Context(command_key="t1", download_url="http://acs/files/abc/t1/sig")
    request = request_for(spec, Progress(), ctx)
    assert getattr(request, "url", None) == "http://acs/files/abc/t1/sig"
