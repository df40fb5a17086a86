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
