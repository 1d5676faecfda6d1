# ruff: noqa: E501  (the indicator library reads best one definition per line)
"""Demo step: a national library of indicators, observed by every organisation and every team.

Each series has 24 to 60 periods of realistic noise, and some have a shift after a change was tested
(annotated), a concerning trend at the end, an outlier, or a rebase; targets are set so that every
variation and assurance icon appears somewhere. Deterministic for the seed; written in bulk and analysed
with analyse_many (the few rebased series one by one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from spiral.core import periods
from spiral.demo.builder import DemoContext
from spiral.measurement import analyses, rollups
from spiral.measurement.imports import bulk_insert_observations
from spiral.measurement.models import Annotation, AnnotationKind, Measure, Series, Target
from spiral.organisations.models import Unit, UnitKind

END = {"month": dt.date(2025, 9, 1), "week": dt.date(2025, 9, 29), "quarter": dt.date(2025, 7, 1)}


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    chart: str
    improvement: str
    label: str
    measure_type: str
    level: float  # typical value on the plotted scale
    size: float = 0.0  # typical denominator (p, u) ; noise sd for xmr
    target: float | None = None
    frequency: str = "month"
    numerator: str = ""
    denominator: str = ""


ORGANISATION_INDICATORS = {
    "FALLS-1000BD": Spec("FALLS-1000BD", "Inpatient falls per 1,000 bed days", "u", "decrease", "per 1,000 bed days",
                         "outcome", 6.0, 9.0, 6.5, numerator="Inpatient falls", denominator="Occupied bed days ÷ 1,000"),
    "PU-CAT2": Spec("PU-CAT2", "Pressure ulcers (category 2 and above) acquired in care", "c", "decrease", "ulcers",
                    "outcome", 9.0, target=8.0),
    "SEPSIS-ABX-1H": Spec("SEPSIS-ABX-1H", "Sepsis: antibiotics within one hour", "p", "increase", "%", "process",
                          0.86, 120, 0.90, numerator="Patients with red-flag sepsis given antibiotics within 1 hour",
                          denominator="Patients with red-flag sepsis"),
    "AE-4HR": Spec("AE-4HR", "A&E: seen within four hours", "p", "increase", "%", "outcome", 0.74, 9000, 0.78,
                   numerator="Attendances admitted, transferred or discharged within 4 hours",
                   denominator="A&E attendances"),
    "DNA-RATE": Spec("DNA-RATE", "Missed outpatient appointments", "p", "decrease", "%", "process", 0.075, 6000, 0.07,
                     numerator="Appointments not attended", denominator="Appointments booked"),
    "DISCH-24H": Spec("DISCH-24H", "Discharge summaries sent within 24 hours", "p", "increase", "%", "process", 0.82,
                      2500, 0.95),
    "STAFF-SICK": Spec("STAFF-SICK", "Staff sickness absence", "xmr", "decrease", "%", "balancing", 5.1, 0.35, 4.5),
    "RESTRAINT-1000BD": Spec("RESTRAINT-1000BD", "Restrictive practice per 1,000 occupied bed days", "u", "decrease",
                             "per 1,000 bed days", "outcome", 18.0, 3.5, 15.0),
    "MRSA-CDIFF": Spec("MRSA-CDIFF", "C. difficile infections", "c", "decrease", "infections", "outcome", 3.0,
                       target=4.0),
    "FFT-POSITIVE": Spec("FFT-POSITIVE", "Friends and Family Test: positive", "p", "increase", "%", "outcome", 0.93,
                         800, 0.95),
    "RESPONSE-CAT2": Spec("RESPONSE-CAT2", "Category 2 response time (mean)", "xmr", "decrease", "minutes", "outcome",
                          38.0, 4.0, 30.0),
    "APPT-2WK": Spec("APPT-2WK", "GP appointments within two weeks of booking", "p", "increase", "%", "process",
                     0.82, 3000, 0.85),
    "CARE-REVIEWS": Spec("CARE-REVIEWS", "Care plans reviewed on time", "p", "increase", "%", "process", 0.88, 150,
                         0.95),
}  # fmt: skip

BY_TYPE = {
    "acute_trust": ["FALLS-1000BD", "PU-CAT2", "SEPSIS-ABX-1H", "AE-4HR", "DNA-RATE", "DISCH-24H", "STAFF-SICK",
                    "MRSA-CDIFF", "FFT-POSITIVE"],
    "mental_health_trust": ["RESTRAINT-1000BD", "DNA-RATE", "STAFF-SICK", "FFT-POSITIVE", "FALLS-1000BD"],
    "community_trust": ["PU-CAT2", "DNA-RATE", "STAFF-SICK", "FFT-POSITIVE"],
    "ambulance_trust": ["RESPONSE-CAT2", "STAFF-SICK"],
    "gp_practice": ["DNA-RATE", "APPT-2WK", "FFT-POSITIVE"],
    "social_care_provider": ["FALLS-1000BD", "CARE-REVIEWS", "STAFF-SICK"],
}  # fmt: skip

TEAM_INDICATORS = {
    "WARD-FALLS": Spec("WARD-FALLS", "Falls on the ward", "c", "decrease", "falls", "outcome", 4.0, target=3.0),
    "HAND-HYGIENE": Spec("HAND-HYGIENE", "Hand hygiene audit compliance", "p", "increase", "%", "process", 0.9, 40,
                         0.95),
    "HUDDLES": Spec("HUDDLES", "Safety huddles held", "p", "increase", "%", "process", 0.75, 30, 0.9),
    "OBS-ON-TIME": Spec("OBS-ON-TIME", "Observations (NEWS2) on time", "p", "increase", "%", "process", 0.84, 300,
                        0.9),
    "WAIT-ASSESS": Spec("WAIT-ASSESS", "Time to first assessment (mean)", "xmr", "decrease", "minutes", "outcome",
                        45.0, 6.0, 40.0, frequency="week"),
    "MED-ERRORS": Spec("MED-ERRORS", "Medication incidents per 1,000 doses", "u", "decrease", "per 1,000 doses",
                       "outcome", 2.5, 4.0, 2.0),
    "PT-EXPERIENCE": Spec("PT-EXPERIENCE", "Patients who felt involved in decisions", "p", "increase", "%",
                          "outcome", 0.8, 60, 0.85),
    "DISCH-MIDDAY": Spec("DISCH-MIDDAY", "Discharges before midday", "p", "increase", "%", "process", 0.22, 90, 0.33),
    "STAFF-WELLBEING": Spec("STAFF-WELLBEING", "Staff wellbeing score", "run", "increase", "score out of 10",
                            "balancing", 6.4, 0.5),
    "AGENCY-SHIFTS": Spec("AGENCY-SHIFTS", "Agency shifts used", "c", "decrease", "shifts", "balancing", 12.0),
    "BED-OCCUPANCY": Spec("BED-OCCUPANCY", "Beds occupied at midnight (mean)", "xmr", "neutral", "beds", "balancing",
                          24.0, 1.5),
    "CALL-BACK": Spec("CALL-BACK", "Call-backs within one working day", "p", "increase", "%", "process", 0.7, 80,
                      0.8),
}  # fmt: skip


def _values(
    rng: np.random.Generator, spec: Spec, n: int, scale: float
) -> tuple[np.ndarray, np.ndarray | None, list]:
    """(values or numerators, denominators, events) for one series: noise, and sometimes a story."""
    story = rng.choice(["stable", "shift_good", "shift_bad", "trend_bad", "outlier", "stable"])
    sign = {"increase": 1, "decrease": -1}.get(spec.improvement, 1)
    level = np.full(n, spec.level * rng.uniform(0.8, 1.2) if spec.chart != "p" else spec.level)
    if spec.chart == "p":
        level = np.clip(level + rng.normal(0, 0.04), 0.02, 0.98)
    events: list[tuple[int, str]] = []
    change_at = int(rng.integers(n // 3, max(n // 3 + 1, n - 8)))
    if story in ("shift_good", "shift_bad"):
        direction = sign if story == "shift_good" else -sign
        step = (0.06 if spec.chart == "p" else 0.25 * spec.level) * direction
        level[change_at:] += step
        events.append((change_at, "Change tested: new process introduced" if story == "shift_good"
                       else "Event: staffing shortfall"))  # fmt: skip
    elif story == "trend_bad":
        k = 7
        step = (0.015 if spec.chart == "p" else 0.06 * spec.level) * -sign
        level[n - k :] += step * np.arange(1, k + 1)
    if spec.chart == "p":
        p = np.clip(level, 0.001, 0.999)
        den = np.maximum(5, rng.poisson(max(spec.size * scale, 5), n)).astype(float)
        num = rng.binomial(den.astype(int), p).astype(float)
        if story == "outlier":
            i = int(rng.integers(0, n))
            num[i] = float(np.floor(den[i] * np.clip(p[i] - 0.2 * sign, 0, 1)))
        return num, den, events
    if spec.chart == "u":
        den = np.maximum(0.5, rng.normal(spec.size * scale, spec.size * scale * 0.08, n))
        num = rng.poisson(np.maximum(level, 0.01) * den).astype(float)
        if story == "outlier":
            num[int(rng.integers(0, n))] *= 2.2
        return num, den, events
    if spec.chart == "c":
        counts = rng.poisson(np.maximum(level, 0.2)).astype(float)
        if story == "outlier":
            counts[int(rng.integers(0, n))] += max(6.0, 3 * spec.level)
        return counts, None, events
    sd = spec.size or spec.level * 0.08
    values = np.round(level + rng.normal(0, sd, n), 2)
    if story == "outlier":
        values[int(rng.integers(0, n))] += -sign * 4 * sd
    return values, None, events


def _measures(nation: Unit, specs: dict[str, Spec]) -> dict[str, Measure]:
    measures = [
        Measure(
            code=s.code, name=s.name, chart=s.chart, improvement=s.improvement, label=s.label, frequency=s.frequency,
            measure_type=s.measure_type, owner=nation, is_indicator=True, numerator_definition=s.numerator,
            denominator_definition=s.denominator,
            description=f"A national indicator: every unit beneath {nation.name} may record it.",
        )
        for s in specs.values()
    ]  # fmt: skip
    Measure.objects.bulk_create(measures)
    found = {m.code: m for m in Measure.objects.filter(code__in=specs)}
    Target.objects.bulk_create(
        [Target(measure=found[s.code], value=s.target) for s in specs.values() if s.target is not None]
    )
    return found


def build(ctx: DemoContext) -> None:
    rng = np.random.default_rng(ctx.seed)
    nation = ctx.units["nation"][0]
    specs = ORGANISATION_INDICATORS | TEAM_INDICATORS
    measures = _measures(nation, specs)
    national = ctx.size.name == "national"
    plan: list[tuple[Unit, Spec]] = []
    for org in ctx.units.get(UnitKind.ORGANISATION, []):
        for code in BY_TYPE.get(org.organisation_type, ["STAFF-SICK"]):
            plan.append((org, specs[code]))
    team_codes = list(TEAM_INDICATORS)
    for team in ctx.units.get(UnitKind.TEAM, []):
        # At national size (about 20,000 teams) three series each keep the demo quick to load.
        count = 3 if national else int(rng.integers(3, 9))
        for code in rng.choice(team_codes, size=count, replace=False).tolist():
            plan.append((team, specs[code]))
    Series.objects.bulk_create([Series(measure=measures[s.code], unit=u) for u, s in plan], batch_size=5000)
    ids = {(m, u): pk for pk, m, u in Series.objects.values_list("pk", "measure_id", "unit_id")}
    now = timezone.now()
    rows: list[tuple] = []
    annotations: list[Annotation] = []
    rebased = 0
    for unit, spec in plan:
        sid = ids[(measures[spec.code].pk, unit.pk)]
        n = int(rng.integers(24, 37 if national else 61))
        if spec.frequency == "week":
            n = min(n + 20, 80)
        end = periods.index(END[spec.frequency], spec.frequency)
        starts = [periods.from_index(i, spec.frequency) for i in range(end - n + 1, end + 1)]
        scale = 1.0 if unit.kind == UnitKind.ORGANISATION else 0.15
        if spec.chart in ("u",) and unit.kind == UnitKind.ORGANISATION:
            scale = 4.0
        values, dens, events = _values(rng, spec, n, scale)
        missing = int(rng.integers(0, n)) if rng.random() < 0.1 else -1
        ratio = dens is not None
        for i, day in enumerate(starts):
            if i == missing:
                continue  # a period not reported: missing, never zero
            if ratio:
                rows.append(
                    (sid, day, float(values[i] / dens[i]), float(values[i]), float(dens[i]), "", 1, now, None)  # type: ignore[index]  # ratio: dens is not None
                )
            else:
                rows.append((sid, day, float(values[i]), None, None, "", 1, now, None))
        for i, text in events:
            annotations.append(Annotation(series_id=sid, period_start=starts[i], kind=AnnotationKind.CHANGE
                                          if text.startswith("Change") else AnnotationKind.EVENT, text=text))  # fmt: skip
            if text.startswith("Change") and rebased < 12 and n - i >= 12:
                # A handful of rebased series: their limits are recalculated after the change.
                annotations.append(Annotation(series_id=sid, period_start=starts[i], kind=AnnotationKind.REBASE,
                                              text="Limits recalculated", reason="New process in place"))  # fmt: skip
                rebased += 1
    bulk_insert_observations(rows)
    Annotation.objects.bulk_create(annotations, batch_size=5000)
    analyses.recompute(ids.values())
    # The organisations' indicators added up to their ICBs, regions and the nation (derived series).
    analyses.recompute(rollups.roll_up([m.pk for m in measures.values() if m.rolls_up]))
    ctx.counts["measures"] = len(measures)
    ctx.counts["series"] = len(ids)
    ctx.counts["observations"] = len(rows)
