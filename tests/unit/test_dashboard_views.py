"""The dashboard's pure parts: the parameter tree, charts, the filter form's query string,
where signing in leads, task forms, and the overview's per-minute activity."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acs.api.device_views import TaskForm, history_chart, parameter_tree, task_of
from acs.api.pages_devices import tidied
from acs.api.web import TEMPLATES, ago, device_url, is_page, safe_next
from acs.domain.events import InformReceived, TaskCompleted, TaskFaulted
from acs.projections import activity
from acs.projections.history import ParameterChange
from acs.projections.queries import Parameter

NOW = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
DEVICE = uuid.uuid4()


def parameter(name: str, value: str = "v") -> Parameter:
    return Parameter(name, value, "xsd:string", True, NOW, None, None, False)


def change(value: str, minutes: int) -> ParameterChange:
    at = NOW + timedelta(minutes=minutes)
    return ParameterChange("A.B.Up", value, "xsd:unsignedInt", at, minutes, "inform", None, "cpe")


def test_the_tree_nests_parameters_by_their_dots_and_counts_each_branch() -> None:
    tree = parameter_tree(
        [
            parameter("A.B.C"),
            parameter("A.B.D"),
            parameter("A.E"),
            parameter("A.F."),
            parameter("G"),
        ]
    )
    assert [p.name for p in tree.leaves] == ["G"]
    a = tree.branches["A"]
    assert (a.path, a.size, [p.name for p in a.leaves]) == ("A.", 3, ["A.E"])
    assert [p.name for p in a.branches["B"].leaves] == ["A.B.C", "A.B.D"]
    assert a.branches["F"].size == 0, "an object's own row makes a branch, not a leaf"
    assert tree.size == 4


def test_numbers_get_a_step_chart_and_text_gets_none() -> None:
    chart = history_chart("A.B.Up", [change("10", 0), change("12.5", 5)])
    assert chart is not None
    assert chart["y"] == [10.0, 12.5] and chart["x"][1] - chart["x"][0] == 300
    assert history_chart("A.B.Up", [change("10", 0), change("ten", 1)]) is None
    assert history_chart("A.B.Up", []) is None


def test_the_filter_form_becomes_the_apis_query_string() -> None:
    form = [
        ("filter_form", "1"),
        ("tag", "lab"),
        ("tag", ""),
        ("online", ""),
        ("manufacturer", "Acme"),
        ("param.X.Y", ""),
        ("param.X.Z", ">3"),
        ("new_param_name", " param.A.B "),
        ("new_param_value", "~v"),
        ("cursor", "c"),
    ]
    assert tidied(form) == [
        ("tag", "lab"),
        ("manufacturer", "Acme"),
        ("param.X.Z", ">3"),
        ("param.A.B", "~v"),
    ]


@pytest.mark.parametrize(
    ("given", "followed"),
    [
        ("/devices?tag=a", "/devices?tag=a"),
        (None, "/"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_signing_in_leads_back_to_this_sites_paths_only(given: str | None, followed: str) -> None:
    assert safe_next(given) == followed


def test_pages_are_every_path_but_the_api_cpe_routes_and_assets() -> None:
    assert is_page("/") and is_page("/devices/A-B-C/history")
    for path in ("/api", "/api/devices", "/metrics", "/static/acs.css", "/cwmp", "/schema"):
        assert not is_page(path), path


def test_moments_read_as_people_say_them_and_ids_are_encoded_once_more() -> None:
    assert ago(NOW - timedelta(seconds=12), NOW) == "12 s ago"
    assert ago(NOW - timedelta(minutes=5), NOW) == "5 min ago"
    assert ago(NOW - timedelta(days=3, hours=2), NOW) == "3 d ago"
    assert ago(None, NOW) == "never"
    assert device_url("202BC1-BM632w-SN%2D1") == "/devices/202BC1-BM632w-SN%252D1"


def test_task_forms_become_the_apis_task_types_and_parameters() -> None:
    edit = TaskForm(action="set_params", name="A.SSID", value="home", type="xsd:string")
    assert task_of(edit) == (
        "set_params",
        {"values": {"A.SSID": "home"}, "types": {"A.SSID": "xsd:string"}},
    )
    assert task_of(TaskForm(action="refresh")) == ("refresh", {"path": ""})
    assert task_of(TaskForm(action="download", file_id="f1")) == ("download", {"file_id": "f1"})
    assert task_of(TaskForm(action="reboot")) == ("reboot", {})


def test_informs_and_faulted_tasks_count_in_their_minute() -> None:
    counted: activity.Activity = {}
    events = [
        InformReceived(
            originator_id=DEVICE, originator_version=1, timestamp=NOW, event_codes=("2 PERIODIC",)
        ),
        InformReceived(
            originator_id=DEVICE,
            originator_version=2,
            timestamp=NOW + timedelta(seconds=20),
            event_codes=("2 PERIODIC",),
        ),
        TaskFaulted(
            originator_id=DEVICE,
            originator_version=3,
            timestamp=NOW + timedelta(seconds=40),
            task_id="t",
        ),
        TaskCompleted(originator_id=DEVICE, originator_version=4, timestamp=NOW, task_id="u"),
    ]
    for event in events:
        activity.fold(counted, event)
    minute = NOW.replace(second=0)
    assert counted == {minute: [2, 0], minute + timedelta(minutes=1): [0, 1]}


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_hold_no_inline_script_style_or_handler(template: Path) -> None:
    """The pages' Content Security Policy refuses inline scripts and styles."""
    text = template.read_text()
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", text))
    assert "<style" not in text and "style=" not in text
    assert not re.search(r"\son[a-z]+=|hx-on", text), "no inline event handler"
    assert not re.search(r'(src|href)="(https?:)?//', text), "no asset from another site"
