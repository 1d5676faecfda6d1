"""Backup and restore of the whole of Spiral: the database and the uploaded files, in one archive.

A backup is a gzipped tar holding
  database.sqlite3 or database.pgdump   SQLite's online backup API / `pg_dump -Fc`, both a consistent snapshot
  media/...                            every uploaded file (MEDIA_ROOT)
  manifest.json                        what is inside: per-table row counts and checksums, each member's
                                       size and SHA-256, the applied migrations, the database engine
The manifest comes last, so a backup cut short has none and is refused.

A restore checks the whole archive before it changes anything (every member against the manifest; for
SQLite each table's checksum in the copy; for PostgreSQL that pg_restore can read the dump), then swaps
the database (SQLite: the backup API into the live file, one transaction; PostgreSQL:
`pg_restore --clean --if-exists --single-transaction`) and the uploaded files, and checks the tables again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

FORMAT = "spiral-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do. Nothing was changed."""


@dataclass(frozen=True)
class TableSum:
    rows: int
    checksum: str


# --- the checksum of a table: the same helper for the live database, a backup copy and a restore -------


def _canonical(value: Any) -> Any:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return "b:" + value.hex()
    if value is None or isinstance(value, str | int | bool):
        return value
    return repr(value)  # floats exactly, Decimal, datetime with its offset, JSON values


def table_sums(cursor: Any, tables: Iterable[str]) -> dict[str, TableSum]:
    """Row count and an order-independent checksum of every row of each table, from any DB-API cursor.

    Each row's canonical JSON is hashed (BLAKE2b, 128 bits) and the hashes are added modulo 2**128: the
    same rows give the same sum in whatever order the database returns them, and no table is sorted.
    """
    sums = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - a table name from the database itself
        total, rows = 0, 0
        while batch := cursor.fetchmany(5000):
            for row in batch:
                line = json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":"))
                total += int.from_bytes(hashlib.blake2b(line.encode(), digest_size=16).digest(), "big")
                rows += 1
        sums[table] = TableSum(rows=rows, checksum=f"{total % (1 << 128):032x}")
    return sums


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    # Virtual tables (full-text search) are left out: their shadow tables, which hold the data, are in.
    return [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
        )
    ]


def _vendor(alias: str = DEFAULT_DB_ALIAS) -> str:
    vendor = connections[alias].vendor
    if vendor not in DUMPS:
        raise BackupError(f"Backups are made of SQLite and PostgreSQL databases, not {vendor}.")
    return vendor


def _live_tables(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    connection = connections[alias]
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return _sqlite_tables(connection.connection)
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor, include_views=False)


def live_table_sums(alias: str = DEFAULT_DB_ALIAS) -> dict[str, TableSum]:
    """Row counts and checksums of every table of the live database (`spiral backup --checksums`),
    all read from one snapshot."""
    connection = connections[alias]
    _vendor(alias)
    if connection.vendor == "sqlite":
        # A plain connection: Django's converts column types (dates...) that a backup copy, read with
        # sqlite3 alone, keeps as stored, and its transactions are IMMEDIATE, holding off every writer.
        raw = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        try:
            raw.execute("BEGIN DEFERRED")
            return table_sums(raw.cursor(), _sqlite_tables(raw))
        finally:
            raw.close()
    tables = _live_tables(alias)
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        raw = connection.connection.cursor()
        try:
            return table_sums(raw, tables)
        finally:
            raw.close()


# --- archive members --------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files() -> Iterator[tuple[str, Path]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield f"{MEDIA}/{path.relative_to(root).as_posix()}", path


def _add(archive: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    digest = hashlib.sha256()

    class Hashing(io.RawIOBase):
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def readinto(self, buffer: Any) -> int:
            data = self.handle.read(len(buffer))
            digest.update(data)
            buffer[: len(data)] = data
            return len(data)

    with path.open("rb") as handle:
        archive.addfile(info, Hashing(handle))
    return {"size": info.size, "sha256": digest.hexdigest()}


def _migrations(alias: str) -> list[str]:
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connections[alias])
    if not recorder.has_table():
        return []
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


# --- backup --------------------------------------------------------------------------------------------


def _pg_env(alias: str) -> tuple[list[str], dict[str, str]]:
    db = connections[alias].settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return [*args, "--dbname", db["NAME"]], env


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed; install the PostgreSQL client tools (e.g. apt-get install "
            "postgresql-client) of the server's version."
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def _dump_sqlite(alias: str, target: Path) -> dict[str, TableSum]:
    connection = connections[alias]
    connection.ensure_connection()
    dest = sqlite3.connect(target)
    try:
        # The online backup API: a consistent copy while the site keeps answering (WAL readers and writers).
        connection.connection.backup(dest)
        # A file complete in itself (no -wal beside it), whatever the live database's journal mode.
        dest.execute("PRAGMA journal_mode=DELETE")
        return table_sums(dest.cursor(), _sqlite_tables(dest))
    finally:
        dest.close()


def _dump_postgresql(alias: str, target: Path) -> dict[str, TableSum]:
    connection = connections[alias]
    args, env = _pg_env(alias)
    # The checksums and pg_dump read one snapshot, exported from this transaction, so they agree
    # however busy the site is while the backup runs.
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
        _run([*command, "--file", str(target), *args], env, "pg_dump")
        raw = connection.connection.cursor()
        try:
            return table_sums(raw, _live_tables(alias))
        finally:
            raw.close()


def backup(path: Path, *, alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write a backup archive to `path` (refusing to overwrite one); return its manifest."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name (backups are never overwritten).")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist; create it or choose another.")
    vendor = _vendor(alias)
    dump_name = DUMPS[vendor]
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="spiral-backup-", dir=path.parent) as work:
        dump = Path(work) / dump_name
        sums = _dump_sqlite(alias, dump) if vendor == "sqlite" else _dump_postgresql(alias, dump)
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
                members = {dump_name: _add(archive, dump_name, dump)}
                for name, file in _media_files():
                    members[name] = _add(archive, name, file)
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "database": {"vendor": vendor, "member": dump_name},
                    "migrations": _migrations(alias),
                    "tables": {name: {"rows": s.rows, "checksum": s.checksum} for name, s in sums.items()},
                    "members": members,
                }
                data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(data), int(datetime.now(UTC).timestamp())
                archive.addfile(info, io.BytesIO(data))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


# --- restore ---------------------------------------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


def _unpack(path: Path, into: Path) -> dict[str, Any]:
    """Unpack the archive into `into`, checking each member against the manifest; return the manifest."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file; give the path of a backup made by `spiral backup`.")
    seen: dict[str, dict[str, Any]] = {}
    manifest = None
    try:
        with tarfile.open(path, "r:gz") as archive:
            for info in archive:
                if not _safe_member_name(info.name) or not (info.isfile() or info.isdir()):
                    raise BackupError(
                        f"{path} holds {info.name!r}, which no Spiral backup holds; nothing was restored."
                    )
                if info.isdir():
                    continue
                handle = archive.extractfile(info)
                assert handle is not None  # a regular file (checked above)
                if info.name == MANIFEST:
                    manifest = json.loads(handle.read(1024 * 1024 * 64))
                    continue
                target = into / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                seen[info.name] = {"size": info.size, "sha256": digest.hexdigest()}
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(
            f"{path} is not a complete Spiral backup (it cannot be read as one: {exc}); nothing was restored."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BackupError(f"{path}: its manifest.json is damaged; nothing was restored.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path} is not a Spiral backup (it has no manifest.json saying so; a backup cut short has none); "
            "nothing was restored."
        )
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path} is a version {manifest.get('version')} backup; this Spiral restores version {VERSION}. "
            "Nothing was restored."
        )
    expected = manifest.get("members", {})
    missing = sorted(set(expected) - set(seen))
    extra = sorted(set(seen) - set(expected))
    changed = sorted(n for n in set(expected) & set(seen) if expected[n] != seen[n])
    if missing or extra or changed:
        detail = "; ".join(
            f"{label}: {', '.join(names[:5])}"
            for label, names in (("missing", missing), ("not in the manifest", extra), ("damaged", changed))
            if names
        )
        raise BackupError(f"{path} does not match its manifest ({detail}); nothing was restored.")
    return manifest


def _differences(expected: dict[str, Any], actual: dict[str, TableSum]) -> list[str]:
    problems = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None:
            problems.append(f"{name}: not in the backup")
        elif got is None:
            problems.append(f"{name}: missing")
        elif (want["rows"], want["checksum"]) != (got.rows, got.checksum):
            problems.append(
                f"{name}: {got.rows} rows, checksum {got.checksum}; the backup has {want['rows']}"
            )
    return problems


@contextmanager
def _swapped_media(staged: Path) -> Iterator[Callable[[], None]]:
    """Put the backup's files in MEDIA_ROOT's place; yield a function that makes the swap final.

    Until it is called (or if the database restore raises), the files are put back as they were.
    """
    root = Path(settings.MEDIA_ROOT)
    root.parent.mkdir(parents=True, exist_ok=True)
    old = root.with_name(root.name + ".before-restore")
    if old.exists():
        shutil.rmtree(old)
    had = root.exists()
    if had:
        os.replace(root, old)
    if staged.exists():
        shutil.move(str(staged), str(root))
    else:
        root.mkdir()
    done = False

    def commit() -> None:
        nonlocal done
        done = True

    try:
        yield commit
    finally:
        if done:
            shutil.rmtree(old, ignore_errors=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
            if had:
                os.replace(old, root)


def check(path: Path, *, alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Check a backup archive without restoring it: members, manifest, and the database copy."""
    with tempfile.TemporaryDirectory(prefix="spiral-check-") as work:
        return _checked(Path(path), Path(work), alias)


def _checked(path: Path, work: Path, alias: str) -> dict[str, Any]:
    manifest = _unpack(path, work)
    database = manifest.get("database", {})
    vendor = database.get("vendor")
    dump = work / str(database.get("member"))
    if vendor not in DUMPS or database.get("member") != DUMPS[vendor] or not dump.is_file():
        raise BackupError(f"{path}: its manifest names no database copy; nothing was restored.")
    if vendor == "sqlite":
        try:
            copy = sqlite3.connect(dump)
            try:
                if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise BackupError(f"{path}: the database copy is damaged; nothing was restored.")
                problems = _differences(manifest["tables"], table_sums(copy.cursor(), _sqlite_tables(copy)))
            finally:
                copy.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                f"{path}: the database copy cannot be read ({exc}); nothing was restored."
            ) from None
        if problems:
            raise BackupError(
                f"{path}: the database copy does not match the manifest ({'; '.join(problems[:5])}); "
                "nothing was restored."
            )
    else:
        _run(["pg_restore", "--list", str(dump)], dict(os.environ), f"Reading {path}'s database dump")
    return manifest


def restore(path: Path, *, alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Replace the database and the uploaded files with those of the backup at `path`; return its manifest.

    Everything is checked before anything changes; a refusal leaves the database and files as they were.
    """
    path = Path(path)
    vendor = _vendor(alias)
    data_dir = Path(settings.MEDIA_ROOT).parent
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spiral-restore-", dir=data_dir) as work_dir:
        work = Path(work_dir)
        manifest = _checked(path, work, alias)
        if manifest["database"]["vendor"] != vendor:
            raise BackupError(
                f"{path} is a backup of a {manifest['database']['vendor']} database and this Spiral uses "
                f"{vendor}; restore it where DATABASE_URL points to the same kind of database. Nothing was restored."
            )
        from django.db.migrations.loader import MigrationLoader

        known = {
            f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
        }
        unknown = sorted(set(manifest["migrations"]) - known)
        if unknown:
            raise BackupError(
                f"{path} was made by a newer Spiral (its database has migrations this one does not know: "
                f"{', '.join(unknown[:5])}); restore it with that version or a later one. Nothing was restored."
            )
        dump = work / manifest["database"]["member"]
        if vendor == "postgresql":
            extra = sorted(set(_live_tables(alias)) - set(manifest["tables"]))
            if extra:
                raise BackupError(
                    f"The database holds tables that the backup does not ({', '.join(extra[:5])}); restore into "
                    "an empty database (createdb, then point DATABASE_URL to it), then run `spiral migrate`. "
                    "Nothing was restored."
                )
        with _swapped_media(work / MEDIA) as commit:
            connections[alias].close()
            if vendor == "sqlite":
                _restore_sqlite(alias, dump)
            else:
                args, env = _pg_env(alias)
                command = ["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error"]
                _run([*command, "--no-owner", "--no-privileges", *args, str(dump)], env, "pg_restore")
            commit()
    problems = _differences(manifest["tables"], live_table_sums(alias))
    if problems:
        raise BackupError(
            "The restored database does not match the backup's manifest: " + "; ".join(problems[:10])
        )
    return manifest


def _restore_sqlite(alias: str, dump: Path) -> None:
    connection = connections[alias]
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        # The backup API in reverse: the live file's pages are replaced in one write transaction, so
        # other processes see the old database or the new one, never a mixture.
        source.backup(connection.connection)
    finally:
        source.close()
        connection.close()
