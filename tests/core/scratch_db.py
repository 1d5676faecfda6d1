"""A database of its own for a test that runs `spiral` in other processes (deploy, backup and restore).

On SQLite it is a file in the test's data directory; on PostgreSQL (when the suite runs with a
DATABASE_URL) a new database beside the suite's own, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
# Settings read by the child processes that must not leak in from the test run itself.
PRIVATE = {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "SPIRAL_DEMO", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@contextmanager
def scratch_database_url(data_dir: Path) -> Iterator[str | None]:
    """Yield a DATABASE_URL for a fresh, empty database (None: the default SQLite file in data_dir)."""
    if not on_postgres():
        yield None
        return
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = f"{parts.path.lstrip('/') or 'spiral'}_scratch_{secrets.token_hex(4)}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def spiral_command() -> list[str]:
    """The installed `spiral` script beside this Python (as the README runs it), else `python -m spiral`."""
    script = Path(sys.executable).with_name("spiral")
    return [str(script)] if script.exists() else [sys.executable, "-m", "spiral"]


def child_env(
    data_dir: Path, database_url: str | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update({"SPIRAL_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "spiral.settings"})
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


def run_spiral(
    args: list[str], env: dict[str, str], *, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*spiral_command(), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"spiral {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result
