"""Scratch databases for the benchmarks: a database of the benchmark's own on DATABASE_URL's server.

Every benchmark that runs on PostgreSQL drops and creates a database named after itself (`bench_<name>`)
on the server DATABASE_URL points at (default 127.0.0.1:5432); the database DATABASE_URL itself names is
never touched. `env_for` gives a child process's environment for SQLite (a fresh SPIRAL_DATA_DIR, no
DATABASE_URL) or for that scratch database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SERVER_DEFAULT = "postgres://postgres@127.0.0.1:5432"


def pg_url(name: str) -> str:
    """The address of the scratch database `name` on DATABASE_URL's server (never DATABASE_URL's own)."""
    server = (os.environ.get("DATABASE_URL") or SERVER_DEFAULT + "/postgres").rsplit("/", 1)[0]
    return f"{server}/{name}"


def recreate_pg(url: str) -> bool:
    """Drop and create the database `url` names; False (with the reason on stderr) if that cannot be done."""
    try:
        import psycopg
    except ImportError:
        print("PostgreSQL: psycopg is not installed; skipped", file=sys.stderr)
        return False
    base, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL at {base}: {exc}; skipped", file=sys.stderr)
        return False
    return True


def env_for(db: str, data_dir: Path, name: str) -> dict[str, str] | None:
    """A child's environment: SQLite in `data_dir`, or the freshly recreated scratch database `name`
    (None when PostgreSQL cannot be reached)."""
    env = dict(os.environ, SPIRAL_DATA_DIR=str(data_dir))
    if db == "sqlite":
        env.pop("DATABASE_URL", None)
        return env
    env["DATABASE_URL"] = pg_url(name)
    return env if recreate_pg(env["DATABASE_URL"]) else None
