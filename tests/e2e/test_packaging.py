"""`pip install .` then `acs`, from a directory outside the repository.

It builds the wheel and installs it, with its dependencies from the package index, into a
new virtual environment: a minute or more, and the index must be reachable. So it runs only
with ACS_TEST_PACKAGING=1 (`make package-test`), not in `make test`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not os.environ.get("ACS_TEST_PACKAGING"),
    reason="installs the wheel and its dependencies into a new venv: ACS_TEST_PACKAGING=1",
)


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=900)  # fmt: skip
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_installed_wheel_runs_outside_the_repository(tmp_path: Path, database_url: str) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
        tmp_path / "wheels", ROOT, cwd=outside, env=env)  # fmt: skip
    wheel = next((tmp_path / "wheels").glob("acs-*.whl"))
    assert "acs/migrations/0001_event_store.sql" in zipfile.ZipFile(wheel).namelist()
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=outside, env=env)
    run(venv / "bin" / "pip", "install", "--quiet", wheel, cwd=outside, env=env)

    where = run(venv / "bin" / "python", "-c", "import acs; print(acs.__file__)", cwd=outside,
                env=env)  # fmt: skip
    assert where.startswith(str(venv)), "the installed package, not the checkout"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert run(venv / "bin" / "acs", "--version", cwd=outside, env=env) == f"acs {version}\n"
    env["ACS_DATABASE_URL"] = database_url
    checked = run(venv / "bin" / "acs", "migrate", "--check", cwd=outside, env=env)
    assert checked == "database is up to date\n"
