"""The `spiral` command.

spiral demo [--size small|medium|national] [--dataset synthetic|ae-attendances] [--seed N] [--no-serve]
spiral serve [--host H] [--port P] [--workers N]
spiral worker
spiral reindex                   (rebuild the search index, words and meaning, from the catalogue)
spiral rollup [--measure CODE] [--unit CODE]   (add organisations' figures up to ICBs, regions, nation)
spiral import units|measures|observations FILE [--dry-run]
spiral token create EMAIL [--name NAME]
spiral spc FILE [...]            (see `spiral spc --help`)
spiral backup FILE | --checksums
spiral restore FILE [--yes] | --check FILE
spiral <any Django command>      (migrate, createsuperuser, shell -c ..., check --deploy, ...)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        # A configuration mistake (e.g. no SECRET_KEY in production): say what to set, no traceback.
        print(f"spiral: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _data_dir() -> None:
    from django.conf import settings

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)


def cmd_demo(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="spiral demo", description="Load and serve a demo improvement system."
    )
    parser.add_argument("--size", choices=("small", "medium", "national"), default="small")
    parser.add_argument(
        "--dataset",
        choices=("synthetic", "ae-attendances"),
        default="synthetic",
        help="synthetic: a made-up improvement system of the chosen size (the default); ae-attendances: "
        "NHS England's real A&E attendances and 4-hour breaches of 274 providers, 2016-2019, as two "
        "indicators (no projects; --size is ignored)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-serve", action="store_true", help="load the demo, then stop")
    parser.add_argument(
        "--embeddings",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compute sentence embeddings for semantic search (default: on, except for the national size, "
        "where it would take many minutes; search works on words, abbreviations and synonyms without them)",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    os.environ["SPIRAL_DEMO"] = "1"
    _setup()
    _data_dir()
    from django.core.management import call_command

    from spiral.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
    from spiral.demo.builder import build_demo, demo_exists

    call_command("migrate", interactive=False, verbosity=0)
    if demo_exists():
        print("Spiral: the database already holds a demo; reusing it (delete var/ to start again).")
    elif args.dataset == "ae-attendances":
        from spiral.demo import ae

        started = time.perf_counter()
        print("Spiral: loading the A&E attendances data set (NHS England, 2016-2019)...", flush=True)
        loaded = ae.load()
        counts = ", ".join(f"{v:,} {k}" for k, v in loaded.counts.items())
        print(f"Spiral: A&E demo loaded in {time.perf_counter() - started:.1f} s: {counts}.")
    else:
        started = time.perf_counter()
        print(f"Spiral: loading the {args.size} demo (seed {args.seed})...", flush=True)
        embed = args.embeddings if args.embeddings is not None else args.size != "national"
        ctx = build_demo(size=args.size, seed=args.seed, embeddings=embed)
        counts = ", ".join(f"{v:,} {k}" for k, v in ctx.counts.items())
        print(f"Spiral: demo loaded in {time.perf_counter() - started:.1f} s: {counts}.")
    print(f"\nDemo sign-ins (password: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        print(f"  {account.email:<24} {account.description}")
    if args.no_serve:
        return 0
    return cmd_serve(["--port", str(args.port)])


def cmd_serve(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="spiral serve", description="Serve Spiral with gunicorn.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spiral.settings")
    print(f"\nSpiral is serving on http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "spiral.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]
    os.execv(sys.executable, command)  # noqa: S606 - replaces this process with gunicorn
    return 0  # pragma: no cover


def cmd_worker(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="spiral worker",
        description="Run background tasks (SPIRAL_TASKS=database). Other options go to django-tasks' db_worker.",
    )
    parser.add_argument(
        "--queue", action="append", metavar="NAME", help="a queue to work on (repeat for more; default: all)"
    )
    args, rest = parser.parse_known_args(argv)
    os.environ["SPIRAL_TASKS"] = "database"
    _setup()
    import threading

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from spiral.core import jobs

    unknown = sorted(set(args.queue or []) - set(settings.SPIRAL_QUEUES))
    if unknown:
        print(
            f"spiral worker: no queue {', '.join(unknown)}; the queues are {', '.join(settings.SPIRAL_QUEUES)}"
        )
        return 2

    from spiral.knowledge import tasks as knowledge_tasks
    from spiral.measurement import tasks as measurement_tasks

    # Every minute: put back the tasks of workers that died, and catch up whatever a lost or failed
    # task left behind (analyses left stale, documents not yet embedded), each for its own queue.
    sweeps = [jobs.requeue_abandoned]
    wanted = set(args.queue or settings.SPIRAL_QUEUES)
    if "analyses" in wanted:
        sweeps.append(measurement_tasks.recompute_stale.call)
    if "search" in wanted:
        sweeps.append(knowledge_tasks.embed_changed.call)

    def reap() -> None:
        while True:
            time.sleep(60)
            for sweep in sweeps:
                try:
                    sweep()
                except Exception:  # a database that is away for a moment: try again next minute
                    logging.getLogger(__name__).exception("a worker's sweep failed")
                finally:
                    connection.close()

    jobs.requeue_abandoned()
    threading.Thread(target=reap, name="spiral-reaper", daemon=True).start()
    queues = ",".join(args.queue) if args.queue else "*"
    if not any(a in ("--reload", "--no-reload") for a in rest):
        # django-tasks reloads on code changes when DEBUG is on: a worker restarted mid-task is a worker
        # killed mid-task. Only on request.
        rest = [*rest, "--no-reload"]
    call_command("db_worker", "--queue-name", queues, "--worker-id", jobs.worker_id(), *rest)
    return 0


def cmd_import(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="spiral import", description="Import data from CSV or XLSX files.")
    sub = parser.add_subparsers(dest="what", required=True)
    units = sub.add_parser("units", help="units: code,name,kind,parent_code,organisation_type")
    units.add_argument("file")
    units.add_argument("--dry-run", action="store_true", help="check the file and show what would change")
    for name, columns in (
        ("measures", "code,name,owner_unit_code,measure_type,chart,improvement,frequency,target,label,..."),
        ("observations", "unit_code,measure_code,period,value,numerator,denominator,note (or wide)"),
    ):
        extra = sub.add_parser(name, help=f"{name}: {columns}")
        extra.add_argument("file")
        extra.add_argument("--dry-run", action="store_true", help="check the file and show what would change")
        if name == "observations":
            extra.add_argument("--measure", help="the measure of a wide file without a measure_code column")
    fft = sub.add_parser("fft", help="fft: unit_code,period,very_good,good,neither,poor,very_poor,dont_know")
    fft.add_argument("file")
    fft.add_argument("--dry-run", action="store_true", help="check the file and show what would change")
    args = parser.parse_args(argv)
    _setup()
    if args.what == "fft":
        from spiral.voice.imports import run_cli

        return run_cli(args.file, dry_run=args.dry_run)
    if args.what in ("measures", "observations"):
        from spiral.measurement.cli import run_import

        return run_import(args.what, args.file, dry_run=args.dry_run, measure=getattr(args, "measure", None))
    from spiral.organisations.imports import import_units

    result = import_units(args.file, by=None, dry_run=args.dry_run)
    if result.problems:
        print(f"{args.file}: nothing was imported; correct these and try again:", file=sys.stderr)
        for problem in result.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    verb = "would be" if args.dry_run else "were"
    print(
        f"{args.file}: {result.count('create')} units {verb} created, {result.count('update')} updated, "
        f"{result.count('unchanged')} unchanged."
    )
    return 0


def cmd_token(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="spiral token", description="Personal access tokens for the API.")
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="print a new token for a person (only the token, on one line)")
    create.add_argument("email")
    create.add_argument("--name", default="Command-line token")
    args = parser.parse_args(argv)
    _setup()
    from spiral.organisations.models import User
    from spiral.organisations.services import create_api_token

    user = User.objects.filter(email=args.email.strip().lower(), is_active=True).first()
    if user is None:
        print(f"spiral token: no active person has the email address {args.email}", file=sys.stderr)
        return 1
    _, raw = create_api_token(user=user, name=args.name, by=None)
    print(raw)
    return 0


def _print_tables(tables: dict[str, dict[str, object]]) -> None:
    width = max((len(name) for name in tables), default=5)
    for name, table in sorted(tables.items()):
        print(f"  {name:<{width}}  {table['rows']:>10,}  {table['checksum']}")


def cmd_backup(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="spiral backup",
        description="Back up the database and the uploaded files into one archive (a .tar.gz with a manifest "
        "of per-table row counts and checksums). SQLite: the online backup API; PostgreSQL: pg_dump -Fc.",
    )
    parser.add_argument("file", nargs="?", help="the archive to write, e.g. spiral-2025-01-31.tar.gz")
    parser.add_argument(
        "--checksums",
        action="store_true",
        help="print each table's row count and checksum of the live database (as a backup's manifest records "
        "them) and write nothing",
    )
    args = parser.parse_args(argv)
    if not args.file and not args.checksums:
        parser.error("give the file to write (or --checksums)")
    _setup()
    from spiral.core import backup

    try:
        if args.checksums:
            sums = backup.live_table_sums()
            _print_tables({name: {"rows": s.rows, "checksum": s.checksum} for name, s in sums.items()})
            return 0
        started = time.perf_counter()
        manifest = backup.backup(args.file)
    except backup.BackupError as exc:
        print(f"spiral backup: {exc}", file=sys.stderr)
        return 1
    rows = sum(t["rows"] for t in manifest["tables"].values())
    files = sum(1 for name in manifest["members"] if name.startswith(backup.MEDIA + "/"))
    print(
        f"{args.file}: {len(manifest['tables'])} tables ({rows:,} rows) and {files} uploaded files backed up "
        f"in {time.perf_counter() - started:.1f} s."
    )
    return 0


def cmd_restore(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="spiral restore",
        description="Replace the database and the uploaded files with a backup made by `spiral backup`. The "
        "whole archive is checked first; a damaged or wrong file is refused and nothing changes.",
    )
    parser.add_argument("file")
    parser.add_argument("--yes", action="store_true", help="do not ask before replacing everything")
    parser.add_argument("--check", action="store_true", help="check the archive only; change nothing")
    args = parser.parse_args(argv)
    _setup()
    from django.conf import settings

    from spiral.core import backup

    try:
        if args.check:
            manifest = backup.check(args.file)
            print(
                f"{args.file}: a complete backup of {manifest['created']}, {len(manifest['tables'])} tables:"
            )
            _print_tables(manifest["tables"])
            return 0
        if not args.yes:
            database = settings.DATABASES["default"]["NAME"]
            if not sys.stdin.isatty():
                print(
                    f"spiral restore: this replaces everything in {database} and {settings.MEDIA_ROOT}; "
                    "add --yes to go ahead.",
                    file=sys.stderr,
                )
                return 2
            answer = input(
                f"This replaces everything in {database} and {settings.MEDIA_ROOT}. Go ahead? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing was restored.")
                return 1
        started = time.perf_counter()
        manifest = backup.restore(args.file)
    except backup.BackupError as exc:
        print(f"spiral restore: {exc}", file=sys.stderr)
        return 1
    rows = sum(t["rows"] for t in manifest["tables"].values())
    print(
        f"{args.file}: restored the backup of {manifest['created']} in {time.perf_counter() - started:.1f} s: "
        f"{len(manifest['tables'])} tables ({rows:,} rows), every table's checksum as backed up."
    )
    return 0


def cmd_reindex(argv: Sequence[str]) -> int:
    argparse.ArgumentParser(
        prog="spiral reindex",
        description="Rebuild the search index (words and meaning) from the catalogue; safe to run again.",
    ).parse_args(argv)
    _setup()
    from spiral.knowledge import search

    started = time.perf_counter()
    done = search.reindex(report=lambda line: print(f"spiral reindex: {line}", flush=True))
    print(
        f"spiral reindex: {done.indexed:,} documents indexed, {done.removed:,} removed and "
        f"{done.embedded:,} embedded in {time.perf_counter() - started:.1f} s."
    )
    return 0


def cmd_spc(argv: Sequence[str]) -> int:
    from spiral.spc_cli import main as spc_main

    return spc_main(list(argv))


COMMANDS = {
    "demo": cmd_demo,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "reindex": cmd_reindex,
    "import": cmd_import,
    "token": cmd_token,
    "spc": cmd_spc,
    "backup": cmd_backup,
    "restore": cmd_restore,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:]) or 0
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        if not argv:
            return 0
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["spiral", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
