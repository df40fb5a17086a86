"""Operators' task requests: validation and the RPC each task becomes."""

from __future__ import annotations

import pytest

from acs.domain.messages import FactoryReset, GetParameterValues, Reboot, SetParameterValues
from acs.domain.tasks import (
    FactoryResetTask,
    GetParams,
    RebootTask,
    SetParams,
    TaskSpecError,
    parse_task,
    request_for,
    task_type,
)


def test_each_task_type_parses_from_the_api_shape() -> None:
    assert parse_task("get_params", {"names": ["A.B"]}) == GetParams(names=("A.B",))
    assert parse_task("set_params", {"values": {"A.B": "x"}}) == SetParams(values={"A.B": "x"})
    assert parse_task("reboot", {}) == RebootTask()
    assert parse_task("factory_reset", None) == FactoryResetTask()


def test_json_numbers_and_booleans_become_cwmp_text() -> None:
    spec = parse_task("set_params", {"values": {"A.Interval": 60, "A.Enable": True}})
    assert spec == SetParams(values={"A.Interval": "60", "A.Enable": "true"})


@pytest.mark.parametrize(
    ("kind", "parameters", "message"),
    [
        ("bogus", {}, "unknown task type 'bogus'"),
        ("get_params", {}, "invalid parameters for get_params"),
        ("get_params", {"names": []}, "non-empty list"),
        ("get_params", {"names": "A.B"}, "invalid parameters"),
        ("set_params", {"values": {}}, "values for parameter names"),
        ("set_params", {"values": {"A.": "x"}}, "not paths"),
        ("set_params", {"values": {"A.B": "x"}, "types": {"A.C": "xsd:int"}}, "types given"),
        ("reboot", {"delay": 1}, "invalid parameters for reboot"),
    ],
)
def test_malformed_tasks_say_what_is_wrong(kind: str, parameters: dict, message: str) -> None:
    with pytest.raises(TaskSpecError, match=message):
        parse_task(kind, parameters)


def test_each_task_becomes_its_rpc() -> None:
    assert request_for(GetParams(names=("A.",)), "k", {}) == GetParameterValues(names=("A.",))
    assert request_for(RebootTask(), "k", {}) == Reboot(command_key="k")
    assert request_for(FactoryResetTask(), "k", {}) == FactoryReset()
    spv = request_for(
        SetParams(values={"A.N": "5", "A.S": "x", "A.T": "1"}, types={"A.T": "xsd:int"}),
        "k",
        {"A.S": "xsd:string"},
    )
    assert isinstance(spv, SetParameterValues)
    assert [(p.name, p.type) for p in spv.parameters] == [
        ("A.N", "xsd:unsignedInt"),
        ("A.S", "xsd:string"),
        ("A.T", "xsd:int"),
    ]
    assert spv.parameter_key == "k"


def test_task_type_names_the_tag() -> None:
    assert task_type(GetParams(names=("A",))) == "get_params"
    assert task_type(FactoryResetTask()) == "factory_reset"
