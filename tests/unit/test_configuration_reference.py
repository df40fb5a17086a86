"""docs/configuration.md is what `acs config reference` prints: every setting and flag."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from acs.adapters.settings import ENVIRONMENT, Settings
from acs.cli import main, package_version, parser
from acs.cli_reference import MissingDocError, commands, setting_docs
from acs.cli_reference import reference as build_reference

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
VARIABLE = re.compile(r"""["']((?:ACS|PROMETHEUS|FORWARDED)_[A-Z0-9_]+)["']""")


@pytest.fixture(scope="module")
def reference() -> str:
    return build_reference(parser())


def test_the_committed_reference_is_the_generated_one(reference: str) -> None:
    assert DOC.read_text() == reference, (
        "docs/configuration.md is out of date: .venv/bin/acs config reference "
        "--output docs/configuration.md"
    )


def test_every_setting_has_a_variable_and_a_description() -> None:
    assert set(ENVIRONMENT) == set(Settings.__struct_fields__)
    docs = setting_docs()
    assert [d.field for d in docs] == list(Settings.__struct_fields__)
    assert all(len(d.description) > 10 for d in docs)


def test_every_variable_the_code_reads_is_in_the_reference(reference: str) -> None:
    named = {
        name for path in (ROOT / "acs").rglob("*.py") for name in VARIABLE.findall(path.read_text())
    }
    assert named, "the search finds the variables"
    missing = sorted(n for n in named if f"`{n}`" not in reference)
    assert not missing, f"not in docs/configuration.md: {missing}"


def test_every_flag_of_every_command_is_in_the_reference(reference: str) -> None:
    flags = {
        (name, option)
        for name, _, sub in commands(parser())
        for action in sub._actions
        for option in action.option_strings
        if option not in ("-h", "--help")
    }
    assert ("acs migrate", "--check") in flags and ("acs serve", "--tls-cert") in flags
    for name, flag in flags:
        section = reference.split(f"### `{name}`\n", 1)[1].split("\n### ", 1)[0]
        assert f"| `{flag}" in section, f"{name} {flag}"


def test_a_setting_without_a_docstring_is_refused() -> None:
    class Extra(msgspec.Struct, frozen=True):
        documented: int = 1
        undocumented: int = 2

    source = (
        "class Extra:\n"
        "    documented: int = 1\n"
        '    """ACS_DOCUMENTED: what the first one does."""\n'
        "    undocumented: int = 2\n"
    )
    environment = {"documented": "ACS_DOCUMENTED", "undocumented": "ACS_UNDOCUMENTED"}
    with pytest.raises(MissingDocError, match=r"Extra\.undocumented .*'ACS_UNDOCUMENTED: '"):
        setting_docs(Extra, environment, source)
    with pytest.raises(MissingDocError, match="documented"):
        setting_docs(Extra, {"documented": "ACS_DOCUMENTED"}, source)
    both = source + '    """ACS_UNDOCUMENTED: what the second one does."""\n'
    first = setting_docs(Extra, environment, both)[0]
    assert (first.variable, first.default, first.kind) == ("ACS_DOCUMENTED", "`1`", "integer")


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"acs {package_version()}"
    assert package_version()[0].isdigit()
