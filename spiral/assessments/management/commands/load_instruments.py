"""`spiral load_instruments [FILE ...]`: load instrument files (default: every file in the repository)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from spiral.assessments.instrument_file import InstrumentFileError, instrument_files, read_file
from spiral.assessments.services import load_instrument


class Command(BaseCommand):
    help = (
        "Load assessment instruments (YAML or JSON) from files; loading the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "files", nargs="*", help="instrument files (default: spiral/assessments/instruments/)"
        )
        parser.add_argument("--check", action="store_true", help="only check the files; load nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(f) for f in options["files"]] or instrument_files()
        failed = False
        for path in paths:
            try:
                spec = read_file(path)
                if options["check"]:
                    self.stdout.write(
                        f"{path.name}: {spec.name} {spec.version} is valid ({len(spec.items)} items)"
                    )
                    continue
                instrument, what = load_instrument(spec, by=None, file_name=path.name)
            except InstrumentFileError as exc:
                failed = True
                self.stderr.write(f"{exc.source} cannot be loaded:")
                for problem in exc.problems:
                    self.stderr.write(f"  - {problem}")
                continue
            except ValidationError as exc:
                failed = True
                self.stderr.write(f"{path.name} cannot be loaded: {' '.join(exc.messages)}")
                continue
            note = " (provisional scoring: some numbers are not verified)" if instrument.provisional else ""
            self.stdout.write(f"{path.name}: {instrument.name} {instrument.version} {what}{note}")
        if failed:
            raise CommandError("Some instrument files were not loaded: fix the problems listed above")
