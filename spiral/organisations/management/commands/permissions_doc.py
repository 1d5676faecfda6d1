"""`spiral permissions_doc [--check]`: write the generated part of docs/permissions.md.

The role table and the list of every address come from `spiral/organisations/permissions.py` and
`spiral/organisations/access.py`; the prose around them is written by hand and left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spiral.organisations import access

DOC = Path(__file__).resolve().parents[4] / "docs" / "permissions.md"


class Command(BaseCommand):
    help = "Regenerate the role table and the list of every address in docs/permissions.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the document is out of date")
        parser.add_argument(
            "--file", type=Path, default=DOC, help="the document (default: docs/permissions.md)"
        )

    def handle(self, *args: Any, check: bool = False, file: Path = DOC, **options: Any) -> None:
        if not file.exists():
            raise CommandError(f"{file} does not exist: give the document with --file")
        text = file.read_text(encoding="utf-8")
        new = access.replace_generated(text)
        if check:
            if new != text:
                raise CommandError(f"{file} is out of date: run `spiral permissions_doc` and commit it")
            self.stdout.write(f"{file} is up to date")
            return
        file.write_text(new, encoding="utf-8")
        self.stdout.write(f"Wrote the generated part of {file}")
