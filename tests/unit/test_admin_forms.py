"""The configuration pages' forms read as the API's bodies, and stored presets read back
into the same form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acs.api.pages_admin import FormError, lines, number, pairs
from acs.api.pages_campaigns import campaign_request
from acs.api.pages_presets import preset_body, preset_form
from acs.domain.presets import parse_preset
from acs.projections.queries import Preset

INTERVAL = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"


def test_lines_and_pairs_ignore_blank_lines_and_split_at_the_first_equals_sign() -> None:
    assert lines("  0 BOOTSTRAP \n\n1 BOOT\n") == ["0 BOOTSTRAP", "1 BOOT"]
    assert pairs("param.X = a=b\n tag=lab ", "filter") == {"param.X": "a=b", "tag": "lab"}
    with pytest.raises(FormError, match="one 'name = value' per line"):
        pairs("no equals sign", "filter")
    with pytest.raises(FormError, match="weight must be a number"):
        number("heavy", "weight")
    assert number(" 0.25 ", "rate", float) == 0.25


def test_a_preset_form_is_the_apis_definition() -> None:
    form = {
        "events": "0 BOOTSTRAP\n1 BOOT",
        "filter": "product_class = BM632w",
        "values": f"{INTERVAL} = 600",
        "ensure": '{"objects": {"InternetGatewayDevice.X.": 2}}',
        "weight": "5",
        "provisioner": "",
    }
    body = preset_body(form)
    assert body == {
        "events": ["0 BOOTSTRAP", "1 BOOT"],
        "filter": {"product_class": "BM632w"},
        "ensure": {"objects": {"InternetGatewayDevice.X.": 2}, "values": {INTERVAL: "600"}},
        "weight": 5,
        "provisioner": "",
    }
    assert parse_preset("inform", body).ensure.values == {INTERVAL: "600"}


@pytest.mark.parametrize(
    ("ensure", "message"),
    [("{not json", "not JSON"), ("[1, 2]", "JSON object"), ('{"values": [1]}', "JSON object")],
)
def test_a_preset_forms_json_must_be_an_object(ensure: str, message: str) -> None:
    with pytest.raises(FormError, match=message):
        preset_body({"ensure": ensure})


def test_a_stored_preset_reads_back_into_the_form_it_came_from() -> None:
    definition = {
        "events": ["0 BOOTSTRAP"],
        "filter": {"tag": "lab"},
        "ensure": {"values": {INTERVAL: "600"}, "objects": {}, "refresh": []},
        "weight": 2,
        "provisioner": "",
    }
    preset = Preset("inform", definition, 1, datetime.now(UTC), "user:alice", 0, 0, 0)
    form = preset_form(preset)
    assert form["values"] == f"{INTERVAL} = 600" and form["ensure"] == ""
    assert preset_body(form) == {**definition, "ensure": {"values": {INTERVAL: "600"}}}


def test_a_campaign_form_is_the_apis_request() -> None:
    request = campaign_request(
        {"file_id": "f1", "filter": "software_version = V1", "batch_size": "20", "rate": "0.5"}
    )
    assert (request.file_id, request.filter, request.devices) == (
        "f1",
        {"software_version": "V1"},
        [],
    )
    assert (request.batch_size, request.rate, request.max_failure_rate) == (20, 0.5, 0.2)
    listed = campaign_request({"file_id": "f1", "devices": "A-B-1\n\nA-B-2\n"})
    assert listed.devices == ["A-B-1", "A-B-2"] and listed.filter == {}
    with pytest.raises(FormError, match="batch size must be a number"):
        campaign_request({"file_id": "f1", "batch_size": "ten"})
