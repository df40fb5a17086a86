"""The OpenAPI document names the errors each operation may answer, as schemathesis checks."""

from __future__ import annotations

from typing import Any

import pytest

from acs.adapters.settings import Settings
from acs.api.app import create_app


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    schema: dict[str, Any] = create_app(
        Settings(), "postgresql://unused"
    ).openapi_schema.to_schema()
    return schema


def statuses(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_every_operation_documents_400_and_401_with_the_error_body(
    document: dict[str, Any],
) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert {"400", "401"} <= set(operation["responses"]), (method, path)
            body = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["status_code", "detail"]


def test_lookups_conflicts_and_concurrent_writes_are_documented_where_they_happen(
    document: dict[str, Any],
) -> None:
    assert "404" in statuses(document, "get", "/api/devices/{device_id}")
    assert "404" not in statuses(document, "get", "/api/devices")
    assert "403" not in statuses(document, "get", "/api/devices"), "any role may read"
    assert "403" in statuses(document, "get", "/api/keys")
    assert "409" in statuses(document, "post", "/api/presets")
    assert "409" in statuses(document, "delete", "/api/files/{file_id}")
    assert {"413", "503"} <= statuses(document, "post", "/api/devices/{device_id}/tasks")
    assert "503" not in statuses(document, "post", "/api/keys"), "keys are not event-sourced"
    retry = document["paths"]["/api/presets"]["post"]["responses"]["503"]["headers"]
    assert "Retry-After" in retry


def test_raw_bodies_and_file_contents_are_documented_as_bytes(document: dict[str, Any]) -> None:
    upload = document["paths"]["/api/files"]["post"]["requestBody"]
    assert upload["content"]["application/octet-stream"]["schema"]["format"] == "binary"
    content = document["paths"]["/api/files/{file_id}/content"]["get"]["responses"]
    assert set(content["200"]["content"]) == {"*/*"}
    assert set(content["404"]["content"]) == {"application/json"}
