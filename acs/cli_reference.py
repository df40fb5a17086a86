"""`acs config reference`: every environment variable and command-line flag, from the code.

The variables come from the fields of `Settings` (their docstrings name the variable and say
what it does), the flags from the `acs` argument parser, so the reference printed here (and
kept in `docs/configuration.md`) cannot drift from the code.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from acs.adapters import settings as settings_module
from acs.adapters.settings import ENVIRONMENT, Settings

OTHER_VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("ACS_LOG_LEVEL", "`INFO`", "log level of every `acs` command (`DEBUG`, `INFO`, `WARNING`)"),
    ("ACS_API_KEY", "unset", "the API key `acs simulate` uses when `--api-key` is not given"),
    (
        "PROMETHEUS_MULTIPROC_DIR",
        "a temporary directory",
        "where the workers of `acs serve` share their HTTP latency histograms (emptied at start)",
    ),
    (
        "FORWARDED_ALLOW_IPS",
        "`127.0.0.1`",
        "addresses of proxies whose `X-Forwarded-Proto` and `X-Forwarded-For` are trusted "
        "(read by uvicorn)",
    ),
    (
        "ACS_TEST_DATABASE_URL",
        "unset",
        "tests only: the PostgreSQL server the test suite creates its databases on; "
        "unset starts an embedded one",
    ),
)
"""Variables read outside `Settings`: (name, default, what it does)."""

_HEADER = """\
# Configuration reference

`acs` is configured through environment variables only (no configuration file); a few
command-line flags of `acs serve` override a variable. A variable set to the empty string
counts as unset. This page is generated from the code by `acs config reference`
(`acs config reference > docs/configuration.md`), and a test fails when it differs.
"""


class SettingDoc(msgspec.Struct, frozen=True):
    """One setting as the reference shows it."""

    field: str
    variable: str
    default: str
    kind: str
    description: str


class MissingDocError(ValueError):
    """A setting has no docstring naming its environment variable."""


def setting_docs(
    settings: type[msgspec.Struct] = Settings,
    environment: Mapping[str, str] = ENVIRONMENT,
    source: str | None = None,
) -> list[SettingDoc]:
    """Every field of the settings, in declaration order, with its variable and docstring
    (read from `source`, by default the settings module's)."""
    text = inspect.getsource(settings_module) if source is None else source
    docs, kinds = _docstrings(text, settings.__name__)
    defaults = {
        f.name: f.default_factory() if f.default is msgspec.NODEFAULT else f.default
        for f in msgspec.structs.fields(settings)
    }
    found = []
    for field in settings.__struct_fields__:
        variable = environment.get(field)
        doc = docs.get(field, "")
        if variable is None or not doc.startswith(variable + ":"):
            named = variable or "ACS_…, also in ENVIRONMENT,"
            raise MissingDocError(f"{settings.__name__}.{field} needs a docstring starting "
                                  f"'{named}: '")  # fmt: skip
        description = " ".join(doc.removeprefix(variable + ":").split())
        kind = kinds.get(field, "")
        found.append(SettingDoc(field, variable, _default(defaults[field]), kind, description))
    return found


def _docstrings(source: str, class_name: str) -> tuple[dict[str, str], dict[str, str]]:
    """Each field's docstring (the string after it) and its annotation, from the source."""
    tree = ast.parse(source)
    body = next(n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    docs: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for node, after in zip(body, [*body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            kinds[node.target.id] = _kind(ast.unparse(node.annotation))
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
                docs[node.target.id] = str(after.value.value)
    return docs, kinds


def _kind(annotation: str) -> str:
    literal = annotation.startswith("Literal[")
    choices = re.findall(r"""['"]([^'"]*)['"]""", annotation) if literal else []
    if choices:
        return " or ".join(f"`{c}`" for c in choices)
    base = annotation.removesuffix(" | None")
    names = {"str": "text", "int": "integer", "float": "number", "Path": "path"}
    return "`true` or `false`" if base == "bool" else names.get(base, base)


def _default(value: Any) -> str:
    if value is None or value == "":
        return "unset"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def commands(
    cli: argparse.ArgumentParser, prefix: str = "acs", summary: str = ""
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """Every command (`acs`, `acs serve`, `acs apikey create` …), its help and its parser."""
    yield prefix, summary or (cli.description or ""), cli
    for action in cli._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield from commands(sub, f"{prefix} {name}", helps.get(name, ""))


def _flag_rows(cli: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in cli._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        name = ", ".join(action.option_strings) or str(action.metavar or action.dest)
        if action.option_strings and action.metavar and action.nargs != 0:
            name += f" {action.metavar}"
        choices = f" (one of {', '.join(map(str, action.choices))})" if action.choices else ""
        default = action.default
        unset = default is None or default is False or default is argparse.SUPPRESS
        shown = "" if unset or action.nargs == 0 else default
        required = "required" if action.required or not action.option_strings else ""
        cell = f"`{shown}`" if shown != "" else required
        rows.append(f"| `{name}` | {cell} | {_cell((action.help or '') + choices)} |")
    return rows


def reference(cli: argparse.ArgumentParser) -> str:
    """The whole reference, as Markdown."""
    lines = [_HEADER, "## Environment variables", ""]
    lines += ["| variable | default | value | what it does |", "|---|---|---|---|"]
    for doc in setting_docs():
        lines.append(
            f"| `{doc.variable}` | {doc.default} | {doc.kind} | {_cell(doc.description)} |"
        )
    lines += ["", "Read outside the settings:", ""]
    lines += ["| variable | default | what it does |", "|---|---|---|"]
    lines += [
        f"| `{name}` | {default} | {_cell(what)} |" for name, default, what in OTHER_VARIABLES
    ]
    lines += ["", "## Command-line flags", ""]
    for name, summary, sub in commands(cli):
        rows = _flag_rows(sub)
        leaf = not any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
        if rows or leaf:
            lines += [f"### `{name}`", "", _cell(summary), ""]
        if rows:
            lines += ["| flag or argument | default | what it does |", "|---|---|---|", *rows, ""]
        elif leaf:
            lines += ["No flags.", ""]
    return "\n".join(lines).rstrip() + "\n"


def print_reference(args: argparse.Namespace, _: Settings) -> None:
    """Print the reference, or write it to `--output`."""
    from acs.cli import parser  # noqa: PLC0415 - the parser this module is part of

    text = reference(parser())
    if args.output is None:
        print(text, end="")
    else:
        args.output.write_text(text)


def config_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `config` sub-command: `acs config reference`."""
    config = commands.add_parser("config", help="describe the configuration")
    actions = config.add_subparsers(dest="action", required=True)
    ref = actions.add_parser(
        "reference", help="print every environment variable and flag, as Markdown"
    )
    ref.add_argument("--output", type=Path, metavar="FILE", help="write it to FILE instead")
    ref.set_defaults(func=print_reference)
