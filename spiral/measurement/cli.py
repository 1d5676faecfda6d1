"""`spiral import measures|observations FILE [--dry-run]`: a message per problem, never a traceback."""

from __future__ import annotations

import sys
from typing import IO, Any

from spiral.measurement.imports import import_measures, import_observations


class TerminalProgress:
    """Progress of a command-line import: a bar on a terminal (tqdm), plain lines when not on one."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.bar: Any = None
        self.stage = ""

    def update(
        self,
        *,
        stage: str | None = None,
        done: int | None = None,
        total: int | None = None,
        written: int | None = None,
    ) -> None:
        if stage is not None and stage != self.stage:
            self.stage = stage
            self._close()
            if self.tty:
                from tqdm import tqdm  # type: ignore[import-untyped]  # no stubs among our dependencies

                self.bar = tqdm(desc=stage, total=total, unit=" rows", file=self.stream, leave=False)
            else:
                print(f"{stage}...", file=self.stream, flush=True)
        count = written if written is not None else done
        if self.bar is not None and count is not None:
            if total is not None:
                self.bar.total = total
            self.bar.n = count
            self.bar.refresh()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def close(self) -> None:
        self._close()


def run_import(what: str, path: str, *, dry_run: bool = False, measure: str | None = None) -> int:
    """Import a file as the system; exit status 1 when anything is rejected (nothing is then written)."""
    result: Any  # a MeasureImportResult or an ImportResult, as `what` says
    try:
        if what == "measures":
            result = import_measures(path, by=None, dry_run=dry_run)
        else:
            progress = TerminalProgress()
            try:
                result = import_observations(
                    path, by=None, dry_run=dry_run, measure_code=measure, progress=progress
                )
            finally:
                progress.close()
    except Exception as exc:  # a message, never a traceback
        print(
            f"{path}: the import failed ({type(exc).__name__}: {exc}); nothing was written", file=sys.stderr
        )
        return 2
    warnings = getattr(result, "warnings", [])
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.rejected:
        print(f"{path}: nothing was imported; correct these and try again:", file=sys.stderr)
        for problem in result.rejected:
            print(f"  {problem}", file=sys.stderr)
        return 1
    verb = "would be" if dry_run else "were"
    if what == "measures":
        print(
            f"{path}: {len(result.created)} measures {verb} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged."
        )
    else:
        print(
            f"{path}: {result.added:,} observations {verb} added, {result.changed:,} changed, "
            f"{result.unchanged:,} unchanged"
            + (f"; {len(warnings):,} rows skipped or cleaned (see the warnings)." if warnings else ".")
        )
    return 0
