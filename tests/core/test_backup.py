"""`spiral backup` and `spiral restore`, run as an operator would, on a database of their own (SQLite, or
PostgreSQL when the suite runs there): the small demo and some uploaded files round-trip exactly, and a
damaged or wrong file is refused with nothing changed.

(The medium demo round-trips too; it is measured by hand, see README "Backup and restore", being slower
than the suite should be.)
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.scratch_db import child_env, run_spiral, scratch_database_url

UPLOADS = {
    "projects/2025/01/driver-diagram.pdf": b"%PDF-1.4 a driver diagram\n" + bytes(range(256)) * 40,
    "projects/2025/02/notes from the huddle.txt": b"Ward 1 huddle: 5 falls in March\n",
}


class Install:
    """One Spiral installation: its data directory, its database and the environment of its commands."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir = data_dir
        self.env = child_env(data_dir, database_url)

    def spiral(self, *args: str, check: bool = True):
        return run_spiral(list(args), self.env, check=check)

    def checksums(self) -> str:
        return self.spiral("backup", "--checksums").stdout

    def media(self) -> dict[str, str]:
        root = self.data_dir / "media"
        return {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Install]:
    data_dir = tmp_path_factory.mktemp("backup-source")
    with scratch_database_url(data_dir) as url:
        site = Install(data_dir, url)
        site.spiral("demo", "--size", "small", "--no-serve", "--no-embeddings")
        for name, content in UPLOADS.items():
            path = data_dir / "media" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        yield site


@pytest.fixture(scope="module")
def backed_up(install: Install, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    archive = tmp_path_factory.mktemp("backups") / "spiral.tar.gz"
    result = install.spiral("backup", str(archive))
    assert "uploaded files backed up" in result.stdout
    return archive, install.checksums(), install.media()


def test_the_checksums_list_every_table_with_its_row_count(install):
    lines = {line.split()[0]: line.split()[1:] for line in install.checksums().splitlines()}
    assert int(lines["measurement_observation"][0].replace(",", "")) > 1000
    assert int(lines["organisations_unit"][0].replace(",", "")) > 100
    assert all(len(checksum) == 32 for _, checksum in lines.values())


def test_the_archive_holds_the_database_the_uploaded_files_and_a_manifest(backed_up):
    archive, before, _ = backed_up
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[-1] == "manifest.json"  # last: a backup cut short has none
    assert {f"media/{name}" for name in UPLOADS} <= set(names)
    assert manifest["database"]["member"] in names
    assert manifest["tables"]["measurement_observation"]["rows"] > 1000
    # The manifest's figures are the ones `--checksums` prints.
    for line in before.splitlines():
        table, rows, checksum = line.split()
        assert manifest["tables"][table] == {"rows": int(rows.replace(",", "")), "checksum": checksum}


def test_a_restore_puts_back_every_row_and_every_uploaded_file(install, backed_up):
    archive, before, media_before = backed_up
    # Change things after the backup: delete data, change an upload and add another.
    install.spiral(
        "shell", "-c",
        "from spiral.measurement.models import Observation; from spiral.projects.models import Project; "
        "Observation.objects.filter(pk__in=Observation.objects.values('pk')[:500]).delete(); "
        "Project.objects.update(title='changed')",
    )  # fmt: skip
    (install.data_dir / "media" / "projects/2025/01/driver-diagram.pdf").write_bytes(b"overwritten")
    (install.data_dir / "media" / "added-later.txt").write_text("not in the backup")
    assert install.checksums() != before

    result = install.spiral("restore", "--yes", str(archive))

    assert "every table's checksum as backed up" in result.stdout
    assert install.checksums() == before
    assert install.media() == media_before


def test_a_backup_restores_into_a_new_empty_installation(backed_up, tmp_path):
    archive, before, media_before = backed_up
    with scratch_database_url(tmp_path) as url:
        fresh = Install(tmp_path, url)
        fresh.spiral("restore", "--yes", str(archive))
        assert fresh.checksums() == before
        assert fresh.media() == media_before
        # ...and it is a working Spiral: nothing left to migrate.
        assert "No planned migration operations" in fresh.spiral("migrate", "--plan").stdout


def rewritten(archive: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of the archive with some members replaced (bytes) or left out (None)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for info in src:
            data = src.extractfile(info).read()
            if info.name in change:
                if change[info.name] is None:
                    continue
                data = change[info.name]
                info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return target


def damaged_database(archive: Path, target: Path) -> Path:
    with tarfile.open(archive) as tar:
        name = json.load(tar.extractfile("manifest.json"))["database"]["member"]
        data = bytearray(tar.extractfile(name).read())
    data[len(data) // 2] ^= 0xFF
    return rewritten(archive, target, {name: bytes(data)})


def manifest_saying(archive: Path, target: Path, **changes: object) -> Path:
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    for key, value in changes.items():
        manifest["database" if key == "vendor" else key] = (
            {**manifest["database"], "vendor": value} if key == "vendor" else value
        )
    return rewritten(archive, target, {"manifest.json": json.dumps(manifest).encode()})


def cut_short(archive: Path, target: Path) -> Path:
    target.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return target


def not_gzip(archive: Path, target: Path) -> Path:
    target.write_text("unit_code,measure_code,period,value\nRAA,FALLS,2025-01,4\n")
    return target


def foreign_tar(archive: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz") as tar:
        data = b"some other program's backup"
        info = tarfile.TarInfo("dump.sql")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return target


def path_escape(archive: Path, target: Path) -> Path:
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for info in src:
            dst.addfile(info, src.extractfile(info))
        info = tarfile.TarInfo("media/../../escaped.txt")
        info.size = 3
        dst.addfile(info, io.BytesIO(b"bad"))
    return target


def gzip_garbage(archive: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(b"\x00" * 10_000))
    return target


REFUSALS = {
    "a file cut short": (cut_short, "is not a complete Spiral backup"),
    "a spreadsheet": (not_gzip, "is not a complete Spiral backup"),
    "gzip of nothing useful": (gzip_garbage, "is not a Spiral backup"),
    "another program's archive": (foreign_tar, "is not a Spiral backup"),
    "a damaged database copy": (damaged_database, "does not match its manifest (damaged: database."),
    "an upload left out": (
        lambda a, t: rewritten(a, t, {f"media/{next(iter(UPLOADS))}": None}),
        "does not match its manifest (missing: media/projects/2025/01/driver-diagram.pdf)",
    ),
    "a path out of the data folder": (
        path_escape,
        "holds 'media/../../escaped.txt', which no Spiral backup holds",
    ),
    "a newer Spiral's backup": (
        lambda a, t: manifest_saying(a, t, migrations=["core.9999_from_the_future"]),
        "was made by a newer Spiral",
    ),
    "a backup of the other kind of database": (
        lambda a, t: manifest_saying(a, t, vendor="oracle"),
        "its manifest names no database copy",
    ),
}


# Every refusal in one process (each `spiral restore` is a fresh start-up otherwise, a second or two each):
# the same command-line entry point, its exit code and what it printed to stderr.
REFUSE_ALL = """
import contextlib, io, json, sys
from spiral.cli import main
results = {}
for case, path in json.loads(sys.argv[1]).items():
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["restore", "--yes", path])
    results[case] = [code, err.getvalue()]
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def refused(install, backed_up, tmp_path_factory) -> dict[str, tuple[int, str]]:
    archive, _, _ = backed_up
    folder = tmp_path_factory.mktemp("bad-backups")
    files = {
        case: str(make(archive, folder / f"{i}.tar.gz"))
        for i, (case, (make, _)) in enumerate(REFUSALS.items())
    }
    result = subprocess.run(
        [sys.executable, "-c", REFUSE_ALL, json.dumps(files)],
        env=install.env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return {case: tuple(value) for case, value in json.loads(result.stdout.splitlines()[-1]).items()}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_damaged_or_wrong_file_is_refused_saying_why(case, refused):
    code, stderr = refused[case]
    assert code == 1, stderr
    assert REFUSALS[case][1] in stderr
    assert "nothing was restored" in stderr.lower()
    assert "Traceback" not in stderr


def test_after_every_refusal_the_database_and_the_files_are_as_they_were(install, backed_up, refused):
    _, before, media_before = backed_up
    assert install.checksums() == before
    assert install.media() == media_before
    assert not (install.data_dir.parent / "escaped.txt").exists()
    assert not list(install.data_dir.glob("spiral-restore-*")), "no staging folder left behind"


def test_restore_asks_before_replacing_everything(install, backed_up):
    archive, before, _ = backed_up
    result = install.spiral("restore", str(archive), check=False)
    assert result.returncode == 2
    assert "add --yes to go ahead" in result.stderr
    assert install.checksums() == before


def test_a_backup_is_checked_without_restoring_it(install, backed_up):
    archive, _, _ = backed_up
    result = install.spiral("restore", "--check", str(archive))
    assert "a complete backup of" in result.stdout
    assert "measurement_observation" in result.stdout


def test_a_backup_never_overwrites_a_file(install, backed_up):
    archive, _, _ = backed_up
    size = archive.stat().st_size
    result = install.spiral("backup", str(archive), check=False)
    assert result.returncode == 1
    assert "already exists; choose a new file name" in result.stderr
    assert archive.stat().st_size == size
