"""Production settings: a clean `check --deploy`, and a clear stop when a required value is missing.

These start a fresh Python process, because settings are read once per process.
"""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_spiral(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "SPIRAL_DEMO", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    base.pop("DATABASE_URL", None)
    base.update({"SPIRAL_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "spiral.settings"}, **env)
    return subprocess.run(
        [sys.executable, "-c", "import sys; from spiral.cli import main; sys.exit(main(sys.argv[1:]))",
         *args],
        cwd=ROOT, env=base, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def random_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(50))


PRODUCTION = {"SPIRAL_ENV": "production", "ALLOWED_HOSTS": "spiral.example.nhs.uk"}


def test_production_settings_pass_the_deployment_checks_with_no_warnings(tmp_path):
    result = run_spiral(
        ["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION | {"SECRET_KEY": random_key()}, tmp_path
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("variable", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_stops_with_a_clear_message_when_a_required_variable_is_missing(tmp_path, variable):
    env = PRODUCTION | {"SECRET_KEY": random_key()}
    del env[variable]
    result = run_spiral(["check"], env, tmp_path)
    assert result.returncode != 0
    assert f"{variable} is not set" in result.stderr
    assert f"export {variable}=" in result.stderr


def test_a_mistyped_environment_name_is_refused(tmp_path):
    result = run_spiral(["check"], {"SPIRAL_ENV": "prod"}, tmp_path)
    assert result.returncode != 0
    assert "SPIRAL_ENV='prod' is not one of: development, production" in result.stderr


def test_development_needs_no_variables(tmp_path):
    result = run_spiral(["check"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
