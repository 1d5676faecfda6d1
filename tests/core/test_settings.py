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


def settings_of(env: dict[str, str], tmp_path: Path, expression: str) -> subprocess.CompletedProcess[str]:
    """Evaluate `expression` over django.conf.settings in a fresh process with `env`."""
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    base.update({"SPIRAL_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "spiral.settings"}, **env)
    code = (
        f"import django; django.setup(); from django.conf import settings as s; print(repr(({expression})))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


POSTGRES = "postgres://spiral@db.example:5432/spiral"


def test_replicas_become_database_aliases_that_tests_mirror_to_the_primary(tmp_path):
    env = {"DATABASE_URL": POSTGRES, "DATABASE_REPLICA_URLS": "postgres://r1/spiral,postgres://r2/spiral"}
    result = settings_of(env, tmp_path, "sorted(s.DATABASES), s.DATABASES['replica_2']['HOST'], "
                         "s.DATABASES['replica_1']['TEST']['MIRROR']")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(['default', 'replica_1', 'replica_2'], 'r2', 'default')"


def test_replicas_of_sqlite_stop_start_up_saying_why(tmp_path):
    result = settings_of({"DATABASE_REPLICA_URLS": "postgres://r1/spiral"}, tmp_path, "s.DATABASES")
    assert result.returncode != 0
    assert "replicas are for PostgreSQL" in result.stderr


def test_a_pool_size_turns_on_psycopgs_pool_in_place_of_persistent_connections(tmp_path):
    env = {"DATABASE_URL": POSTGRES, "DATABASE_POOL_MAX": "8"}
    result = settings_of(
        env, tmp_path, "s.DATABASES['default']['OPTIONS']['pool'], s.DATABASES['default']['CONN_MAX_AGE']"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "({'min_size': 1, 'max_size': 8, 'timeout': 10}, 0)"


def test_cache_url_selects_redis_and_anything_else_is_refused(tmp_path):
    ok = settings_of({"CACHE_URL": "redis://127.0.0.1:6379/3"}, tmp_path, "s.CACHES['default']['BACKEND']")
    assert ok.stdout.strip() == "'django.core.cache.backends.redis.RedisCache'", ok.stderr
    bad = settings_of({"CACHE_URL": "memcached://x"}, tmp_path, "s.CACHES")
    assert bad.returncode != 0
    assert "must be a Redis address" in bad.stderr


def _redis_running() -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not _redis_running(), reason="no Redis on 127.0.0.1:6379 (.ci/run starts one)")
def test_with_cache_url_kept_pages_and_counters_round_trip_through_redis(tmp_path):
    """The Redis client is installed with Spiral: CACHE_URL alone makes a working shared cache."""
    expression = (
        "__import__('django.core.cache', fromlist=['caches']).caches['pages'].set('spiral-t', 'kept', 30), "
        "__import__('django.core.cache', fromlist=['caches']).caches['pages'].get('spiral-t'), "
        "__import__('django.core.cache', fromlist=['caches']).caches['default'].add('spiral-c', 1, 30)"
    )
    result = settings_of({"CACHE_URL": "redis://127.0.0.1:6379/8"}, tmp_path, expression)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("(None, 'kept', ")


def test_media_storage_s3_stores_uploads_in_a_private_bucket(tmp_path):
    env = {"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "spiral-uploads"}
    result = settings_of(
        env, tmp_path, "s.STORAGES['default']['BACKEND'], s.STORAGES['default']['OPTIONS']['default_acl']"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('storages.backends.s3.S3Storage', 'private')"
