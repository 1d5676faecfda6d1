"""`spiral rollup [--measure CODE] [--unit CODE]`: add up organisations' observations to their ICBs,
regions and the nation now, by hand (measurement.rollups), as the background `tasks.roll_up` does after
every write.

Without options every indicator is rolled up (and derived series of measures that no longer roll up are
removed). `--measure` takes one measure; `--unit` the measures observed by the organisations in or
beneath that unit (each measure is recomputed whole, at every level, as the task does). Safe to repeat:
a second run changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet

from spiral.measurement import rollups, tasks
from spiral.measurement.models import Measure
from spiral.organisations.models import Unit


def measures_to_roll_up(*, measure: Measure | None = None, unit: Unit | None = None) -> QuerySet[Measure]:
    """The measures a run concerns (rollups.measures_concerned), narrowed to `measure` if given."""
    qs = rollups.measures_concerned(unit)
    if measure is not None:
        qs = qs.filter(pk=measure.pk)
    return qs.order_by("code")


class Command(BaseCommand):
    help = (
        "Add up organisations' observations of the indicators to their ICBs, regions and the nation now "
        "(the derived series), and recompute those series' charts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--measure", metavar="CODE", help="only this measure (its code)")
        parser.add_argument(
            "--unit",
            metavar="CODE",
            help="only the measures observed by organisations in or beneath this unit",
        )

    def handle(self, *args: Any, measure: str | None = None, unit: str | None = None, **options: Any) -> None:
        chosen = self._measure(measure) if measure else None
        within = self._unit(unit) if unit else None
        found = list(measures_to_roll_up(measure=chosen, unit=within))
        if chosen is not None and not chosen.rolls_up:
            self.stdout.write(
                f"{chosen.code} is not added up to the units above: only an indicator is, and then a p, p′, "
                "u or u′ chart (numerators and denominators) or a measure whose values are to be summed "
                "(aggregation: sum). Any derived series it had are removed."
            )
        if not found:
            where = f" observed in or beneath {within.code}" if within else ""
            self.stdout.write(
                f"Nothing to roll up: no indicator{where} (roll-ups add up organisations' observations)."
            )
            return
        # The task itself, run here and now: the same roll-up and the same recomputation of analyses.
        derived = tasks.roll_up.call([m.pk for m in found])
        codes = ", ".join(m.code for m in found[:10]) + (
            f" and {len(found) - 10:,} more" if len(found) > 10 else ""
        )
        self.stdout.write(
            f"Rolled up {len(found):,} measure{'s' if len(found) != 1 else ''} ({codes}): "
            f"{derived:,} derived series now held."
        )

    def _measure(self, code: str) -> Measure:
        found = Measure.objects.filter(code=code.strip()).first()
        if found is None:
            raise CommandError(
                f"No measure has the code {code!r}. Give the code of a measure as on its page under "
                "/measures/ (codes are exact), or leave out --measure to roll up every indicator."
            )
        return found

    def _unit(self, code: str) -> Unit:
        found = Unit.objects.filter(code=code.strip()).first()
        if found is None:
            raise CommandError(
                f"No unit has the code {code!r}. Give the code of a unit as on its page under /units/ "
                "(codes are exact), or leave out --unit to roll up every indicator."
            )
        return found
