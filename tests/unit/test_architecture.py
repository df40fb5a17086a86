"""Imports point inward: api -> application -> adapters/projections -> domain."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ACS = Path(__file__).resolve().parents[2] / "acs"
DOMAIN_MAY_IMPORT = {"msgspec", "lxml"}
FORBIDDEN = {
    "domain": {"acs.adapters", "acs.projections", "acs.application", "acs.api"},
    "adapters": {"acs.projections", "acs.application", "acs.api"},
    "projections": {"acs.application", "acs.api"},
    "application": {"acs.api"},
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(layer: str) -> list[Path]:
    return sorted((ACS / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_an_outer_one(layer: str) -> None:
    for path in modules(layer):
        for name in imports_of(path):
            outer = [f for f in FORBIDDEN[layer] if name == f or name.startswith(f + ".")]
            assert not outer, f"{path.relative_to(ACS)} imports {name}"


def test_the_domain_imports_only_the_standard_library_msgspec_and_lxml() -> None:
    for path in modules("domain"):
        for name in imports_of(path):
            top = name.split(".")[0]
            allowed = top in sys.stdlib_module_names or top in DOMAIN_MAY_IMPORT or top == "acs"
            assert allowed, f"{path.relative_to(ACS)} imports {name}"
            if top == "acs":
                assert name.startswith("acs.domain"), f"{path.relative_to(ACS)} imports {name}"
