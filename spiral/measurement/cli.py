"""`spiral import measures|observations FILE [--dry-run]`: a message per problem, never a traceback."""

from __future__ import annotations

import sys

from spiral.measurement.imports import import_measures, import_observations


def run_import(what: str, path: str, *, dry_run: bool = False, measure: str | None = None) -> int:
    """Import a file as the system; exit status 1 when anything is rejected (nothing is then written)."""
    try:
        if what == "measures":
            result = import_measures(path, by=None, dry_run=dry_run)
        else:
            result = import_observations(path, by=None, dry_run=dry_run, measure_code=measure)
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
