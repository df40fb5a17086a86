"""The OpenAPI document describes every operator endpoint the application serves."""

from __future__ import annotations

from acs.adapters.settings import Settings
from acs.api.app import create_app


def test_every_api_route_is_in_the_openapi_document() -> None:
    app = create_app(Settings(), "postgresql://unused")
    served = {route.path for route in app.routes if route.path.startswith("/api")}
    documented = set(app.openapi_schema.paths or {})
    normalised = {path.replace(":str", "").replace(":uuid", "") for path in served}
    assert normalised <= documented, sorted(normalised - documented)
    assert len(normalised) >= 25


def test_the_openapi_document_requires_an_api_key_or_a_session() -> None:
    schema = create_app(Settings(), "postgresql://unused").openapi_schema.to_schema()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "http", "scheme": "bearer"}
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "acs_dashboard")
    assert schema["security"] == [{"apiKey": []}, {"session": []}]
    assert "/login" not in schema["paths"] and "/cwmp" not in schema["paths"]
