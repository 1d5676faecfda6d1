"""The A&E demo: NHS England's A&E attendances and 4-hour breaches for every provider, April 2016 – March
2019 (datasets/ae_attendances.md: source, licence, how the CSV was made), loaded through the ordinary
imports, exactly as an analyst would load them with `spiral import units|measures|observations`.

    spiral demo --dataset ae-attendances

The data set gives each provider's ODS code but neither its name nor its region or ICB, so the providers
sit under one region and one ICB whose names say so; a provider with a major (type 1) department is an
acute trust, any other an "other" provider. Two p-chart indicators, both owned by the nation:

* `AE-4H-T1`: the share of type 1 attendances over 4 hours (breaches / attendances, type 1 only);
* `AE-4H-ALL`: the same over all the provider's departments (types 1, 2 and other added up).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from spiral.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from spiral.measurement import imports as measure_imports
from spiral.measurement.models import Observation
from spiral.organisations import imports as unit_imports
from spiral.organisations import services
from spiral.organisations.models import Unit, User

DATA = Path(__file__).resolve().parent / "datasets" / "ae_attendances.csv"
NATION, REGION, ICB = "ENG", "Y00", "Q00"
TYPE1, ALL = "AE-4H-T1", "AE-4H-ALL"


class DatasetError(Exception):
    """The data set could not be loaded; the message says why (nothing was written)."""


@dataclass
class Loaded:
    counts: dict[str, int] = field(default_factory=dict)
    anchors: dict[str, Unit] = field(default_factory=dict)


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def files(path: Path = DATA) -> dict[str, bytes]:
    """The units, measures and observations files the data set becomes (CSV, as `spiral import` reads)."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (code, month) → all types
    type1: dict[tuple[str, str], list[int]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["org_code"], row["period"])
            attendances, breaches = int(row["attendances"]), int(row["breaches"])
            totals[key][0] += breaches
            totals[key][1] += attendances
            if row["type"] == "1":
                type1[key] = [breaches, attendances]
    acute = {code for code, _ in type1}
    providers = sorted({code for code, _ in totals})
    units = [
        ["code", "name", "kind", "parent_code", "organisation_type"],
        [NATION, "England", "nation", "", ""],
        [REGION, "England (regions are not in the A&E data set)", "region", NATION, ""],
        [ICB, "Providers of the A&E data set (ICBs are not in it)", "icb", REGION, ""],
    ]
    units += [
        [code, f"Provider {code}", "organisation", ICB, "acute_trust" if code in acute else "other"]
        for code in providers
    ]
    head = ["code", "name", "owner_unit_code", "measure_type", "chart", "improvement", "frequency"]
    head += ["label", "numerator_definition", "denominator_definition", "is_indicator"]
    measures = [
        head,
        [TYPE1, "Type 1 A&E attendances over 4 hours", NATION, "outcome", "p", "decrease", "month",
         "% of attendances", "Type 1 attendances that waited over 4 hours from arrival to admission, "
         "transfer or discharge", "Type 1 attendances (consultant-led 24-hour major A&E departments)", "yes"],
        [ALL, "A&E attendances over 4 hours, all departments", NATION, "outcome", "p", "decrease", "month",
         "% of attendances", "Attendances at any A&E department that waited over 4 hours",
         "Attendances at all the provider's A&E departments (types 1, 2 and other)", "yes"],
    ]  # fmt: skip
    observations = [["unit_code", "measure_code", "period", "numerator", "denominator"]]
    for (code, month), (breaches, attendances) in sorted(type1.items()):
        observations.append([code, TYPE1, month, str(breaches), str(attendances)])
    for (code, month), (breaches, attendances) in sorted(totals.items()):
        observations.append([code, ALL, month, str(breaches), str(attendances)])
    return {"units.csv": _csv(units), "measures.csv": _csv(measures), "observations.csv": _csv(observations)}


def _problems(what: str, problems: list[object]) -> DatasetError:
    shown = "; ".join(str(p) for p in problems[:5])
    return DatasetError(f"the A&E data set's {what} were refused ({len(problems)} problems): {shown}")


def load(path: Path = DATA) -> Loaded:
    """Import the data set into an empty database, all or nothing, with the demo's sign-ins."""
    if Unit.objects.exists():
        raise DatasetError("the database already holds units; the A&E demo loads only into an empty database")
    made = files(path)
    loaded = Loaded()
    with transaction.atomic():
        units = unit_imports.import_units(made["units.csv"], by=None, filename="units.csv")
        if not units.applied:
            raise _problems("units", list(units.problems))
        measures = measure_imports.import_measures(made["measures.csv"], by=None, filename="measures.csv")
        if not measures.applied:
            raise _problems("measures", list(measures.rejected))
        result = measure_imports.import_observations(
            made["observations.csv"], by=None, filename="observations.csv"
        )
        if not result.applied:
            raise _problems("observations", list(result.rejected))
        loaded.anchors = _accounts()
    loaded.counts = {
        "units": Unit.objects.count(),
        "indicators": 2,
        "observations": result.added,
        "people": User.objects.count(),
    }
    return loaded


def _accounts() -> dict[str, Unit]:
    """The demo sign-ins, through the ordinary (audited) services: the nation's and the region's on the
    placeholders, a trust's on the acute trust with the most type 1 attendances in a month."""
    busiest = (
        Observation.objects.filter(series__measure__code=TYPE1, series__derived=False)
        .order_by("-denominator", "series__unit__code")
        .values_list("series__unit_id", flat=True)
        .first()
    )
    if busiest is None:
        raise DatasetError("the A&E data set has no type 1 attendances")
    trust = Unit.objects.get(pk=busiest)
    anchors = {
        "nation": Unit.objects.get(code=NATION),
        "region": Unit.objects.get(code=REGION),
        "icb": Unit.objects.get(code=ICB),
        "organisation": trust,
        "team": trust,  # the data set has no teams: the team's sign-ins belong to the trust
    }
    for account in DEMO_ACCOUNTS:
        user = services.create_person(
            email=account.email,
            display_name=account.display_name,
            job_title=account.job_title,
            password=DEMO_PASSWORD,
            by=None,
        )
        if account.role == "admin":
            User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
        services.add_membership(user=user, unit=anchors[account.where], role=account.role, by=None)
    return anchors
