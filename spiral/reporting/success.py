"""What makes projects succeed (issue 19): over the closed projects of a unit and everything beneath it,
the proportion that achieved their aim with and without each factor, the risk ratio and its interval
(spiral.reporting.stats), and a plain sentence. Associations, not causes.

Achieving the aim is what the team recorded when it closed the project (`Project.aim_achieved`): "yes" is
achieved, "partly" and "no" are not. A closed project with nothing recorded (closed before the question
was asked, or imported) is judged by its last progress score: ACHIEVED_SCORE (4.0, "significant
improvement" on the IHI scale) or above is achieved. A closed project with neither is counted as not
recorded and left out of every comparison.

Beside each crude risk ratio of a yes-or-no factor (ADJUSTED: a patient partner, a coach, a trained lead,
a driver diagram, any PDSA cycle, a sustainability assessment), the odds ratio adjusted for the others by
one logistic regression over the judged projects (`stats.adjusted_odds_ratios`), when there are enough
projects and no separation; otherwise the page says why there is none.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, QuerySet

from spiral.assessments.models import Response
from spiral.assessments.queries import SUSTAINABILITY_MODEL
from spiral.capability.models import TierKind, TrainingRecord
from spiral.core.types import AnyUser
from spiral.organisations.models import OrganisationType, Unit, UnitKind
from spiral.organisations.permissions import visible_to
from spiral.projects import queries as project_queries
from spiral.projects.models import (
    AimAchieved,
    DriverNode,
    NodeKind,
    PdsaCycle,
    Project,
    ProjectRole,
    Status,
    TeamMember,
)
from spiral.reporting import stats

ACHIEVED_SCORE = Decimal("4.0")
TOPICS_SHOWN = 10  # the most common topics each get a row; the rest are in "other topics"
NOT_AVAILABLE = "not available"
# The yes-or-no factors the logistic regression holds (key -> how the reasons name it); topics and
# organisation types are compared one against the rest and are not in the model.
ADJUSTED = {
    "patient_partner": "A patient partner",
    "coach": "A coach",
    "trained_lead": "A trained lead",
    "driver_diagram": "A driver diagram",
    "pdsa": "Any PDSA cycle",
    "sustainability": "A Sustainability Model assessment",
}


@dataclass(frozen=True)
class FactorRow:
    factor: str  # key: patient_partner, coach, trained_lead, driver_diagram, pdsa, sustainability, ...
    label: str  # "A patient partner on the team"
    with_text: str  # "with a patient partner"
    without_text: str  # "without one"
    rr: stats.RiskRatio
    sentence: str
    adjusted: stats.OddsRatio | None = None  # the odds ratio adjusted for the other factors, when fitted


@dataclass(frozen=True)
class Unavailable:
    factor: str
    label: str
    reason: str


@dataclass
class SuccessFactors:
    unit: Unit
    closed: int
    judged: int  # closed projects with an outcome (recorded, or derived from the score)
    derived: int  # of those, judged by the last progress score
    unrecorded: int  # closed with neither: left out
    achieved: int
    overall: stats.Proportion
    rows: list[FactorRow] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)
    fit: stats.AdjustedFit | None = None
    adjusted: str = ""  # how the adjusted odds ratios were worked out, or why there are none


def achieved_aim(aim_achieved: str, latest_score: Decimal | None) -> bool | None:
    """Did a closed project achieve its aim? The team's answer, else its last score; None if neither."""
    if aim_achieved == AimAchieved.YES:
        return True
    if aim_achieved in (AimAchieved.PARTLY, AimAchieved.NO):
        return False
    if latest_score is not None:
        return latest_score >= ACHIEVED_SCORE
    return None


def projects_with_trained_lead(closed: QuerySet[Project]) -> set[int]:
    """Ids of the projects whose lead had completed improvement training (capability's records of an
    improvement tier, any level) on or before the project started (without a start date, before it
    closed). Two queries: the leads, then each lead's first improvement training."""
    leads = list(
        TeamMember.objects.filter(project__in=closed.order_by().values("id"), role=ProjectRole.LEAD)
        .order_by()
        .values_list("project_id", "user_id", "project__start_date", "project__closed_on")
    )
    first = dict(
        TrainingRecord.objects.filter(person__in={u for _, u, _, _ in leads}, tier__kind=TierKind.IMPROVEMENT)
        .order_by()
        .values_list("person_id")
        .annotate(first=Min("completed_on"))
    )
    return {
        pid
        for pid, user_id, start, closed_on in leads
        if user_id in first and first[user_id] <= (start or closed_on or dt.date.max)
    }


def _ids(qs: QuerySet[Any]) -> set[int]:
    return set(qs.values_list("project_id", flat=True).distinct())


def _org_types(paths: dict[int, str]) -> dict[int, str]:
    """Project id -> the organisation type of the organisation above (or at) its unit ("" if none)."""
    orgs = dict(Unit.objects.filter(kind=UnitKind.ORGANISATION).values_list("path", "organisation_type"))
    width = len(next(iter(orgs), "")) or 1
    lengths = sorted({len(p) for p in orgs}) or [width]
    out = {}
    for pid, path in paths.items():
        out[pid] = next((orgs[path[:n]] for n in lengths if path[:n] in orgs), "")
    return out


def success_factors(user: AnyUser, unit: Unit) -> SuccessFactors:
    """The success-factor analysis of the closed projects of `unit` and everything beneath it, through
    the projects the user may see. Eight grouped queries whatever the number of projects."""
    closed = project_queries.projects(user, within=unit, status=Status.CLOSED)
    facts = list(closed.order_by().values_list("id", "aim_achieved", "latest_score", "unit__path"))
    outcome: dict[int, bool] = {}
    derived = 0
    for pid, recorded, score, _path in facts:
        got = achieved_aim(recorded, score)
        if got is not None:
            outcome[pid] = got
            derived += recorded == ""
    ids = closed.order_by().values("id")
    team = TeamMember.objects.filter(project__in=ids)
    partners = _ids(team.filter(role=ProjectRole.PATIENT_PARTNER)) | set(
        closed.filter(has_patient_partner=True).values_list("id", flat=True)
    )
    coached = _ids(team.filter(role=ProjectRole.COACH))
    diagrams = _ids(DriverNode.objects.filter(project__in=ids, kind=NodeKind.PRIMARY))
    cycles = dict(
        PdsaCycle.objects.filter(project__in=ids).order_by().values_list("project_id").annotate(n=Count("id"))
    )
    assessed = _ids(
        visible_to(user, Response.objects.filter(project__in=ids, instrument__slug=SUSTAINABILITY_MODEL))
    )
    topics: dict[int, set[str]] = {}
    for pid, name in Project.topics.through.objects.filter(project__in=ids).values_list(
        "project_id", "topic__name"
    ):
        topics.setdefault(pid, set()).add(name)
    org_types = _org_types({pid: path for pid, _r, _s, path in facts})
    trained = projects_with_trained_lead(closed)

    judged = sorted(outcome)
    achieved = sum(outcome.values())
    result = SuccessFactors(
        unit=unit,
        closed=len(facts),
        judged=len(judged),
        derived=derived,
        unrecorded=len(facts) - len(judged),
        achieved=achieved,
        overall=stats.wilson(achieved, len(judged)),
    )

    in_model: dict[str, Any] = {}  # factor key -> its `has`, for the adjusted model
    model_rows: dict[str, int] = {}  # factor key -> the index of its row

    def add(factor: str, label: str, with_text: str, without_text: str, has: Any, among: Any = None) -> None:
        """One comparison: projects for which `has(pid)` against those (of `among`, default all) without."""
        if factor in ADJUSTED and among is None and factor not in in_model:
            in_model[factor], model_rows[factor] = has, len(result.rows)
        pool = [p for p in judged if among is None or among(p)]
        yes = [p for p in pool if has(p)]
        no = [p for p in pool if not has(p)]
        rr = stats.risk_ratio(sum(outcome[p] for p in yes), len(yes), sum(outcome[p] for p in no), len(no))
        result.rows.append(
            FactorRow(factor, label, with_text, without_text, rr, sentence(with_text, without_text, rr))
        )

    add(
        "patient_partner",
        "A patient or carer partner on the team",
        "with a patient partner",
        "without one",
        lambda p: p in partners,
    )
    add("coach", "An improvement coach", "with a coach", "without one", lambda p: p in coached)
    add(
        "trained_lead",
        "A lead who was trained in improvement",
        "whose lead was trained",
        "whose lead was not",
        lambda p: p in trained,
    )
    add(
        "driver_diagram",
        "A driver diagram (at least one primary driver)",
        "with a driver diagram",
        "without one",
        lambda p: p in diagrams,
    )
    n = lambda p: cycles.get(p, 0)  # noqa: E731
    add("pdsa", "Any PDSA cycle recorded", "with any PDSA cycle recorded", "with none", lambda p: n(p) > 0)
    add(
        "pdsa",
        "1–2 PDSA cycles recorded",
        "with 1–2 PDSA cycles recorded",
        "with none",
        lambda p: n(p) > 0,
        among=lambda p: n(p) <= 2,
    )
    add(
        "pdsa",
        "3 or more PDSA cycles recorded",
        "with 3 or more PDSA cycles recorded",
        "with none",
        lambda p: n(p) >= 3,
        among=lambda p: n(p) == 0 or n(p) >= 3,
    )
    add(
        "sustainability",
        "A Sustainability Model assessment",
        "with a Sustainability Model assessment",
        "without one",
        lambda p: p in assessed,
    )
    counts = Counter(t for p in judged for t in topics.get(p, ()))
    for name, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOPICS_SHOWN]:
        add(
            "topic",
            f"Topic: {name}",
            f"on {name}",
            "on other topics or none",
            lambda p, name=name: name in topics.get(p, ()),
        )
    types = dict(OrganisationType.choices)
    for value in sorted({org_types[p] for p in judged if org_types.get(p)}):
        label = types.get(value, value)
        add(
            "organisation_type",
            f"Organisation type: {label}",
            f"in {label.lower()}s",
            "in other kinds of organisation",
            lambda p, value=value: org_types.get(p) == value,
        )
    _adjust(result, [outcome[p] for p in judged], {k: [has(p) for p in judged] for k, has in in_model.items()},
            model_rows)  # fmt: skip
    return result


def _lower(label: str) -> str:
    return label[0].lower() + label[1:]


def _adjust(result: SuccessFactors, outcome: list[bool], factors: dict[str, list[bool]],
            rows: dict[str, int]) -> None:  # fmt: skip
    """Put each factor's adjusted odds ratio on its row, and say how (or why not) in `result.adjusted`."""
    if not outcome:
        result.adjusted = "Adjusted odds ratios: none, as no closed project can be judged yet."
        return
    fit = stats.adjusted_odds_ratios(outcome, factors, labels=ADJUSTED)
    result.fit = fit
    if not fit.fitted:
        result.adjusted = f"Adjusted odds ratios could not be worked out: {fit.reason}."
        return
    for key, odds in fit.odds.items():
        result.rows[rows[key]] = replace(result.rows[rows[key]], adjusted=odds)
    names = ", ".join(_lower(ADJUSTED[k]) for k in fit.odds)
    result.adjusted = (
        f"Adjusted odds ratios: one logistic regression (statsmodels) of achieving the aim on {names} "
        f"together, over the {fit.n} judged projects; each odds ratio is adjusted for the other factors, with a "
        f"95% Wald confidence interval. An odds ratio lies further from 1 than the risk ratio when success is "
        f"common, so compare each with 1, not with the risk ratio. Topics and organisation types are not in "
        f"the model."
    )
    if fit.left_out:
        result.adjusted += (
            " Left out, as every project had it or none did: "
            + ", ".join(_lower(ADJUSTED[k]) for k in fit.left_out)
            + "."
        )


def _n(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}" if x < 10 else f"{x:.0f}"


def sentence(with_text: str, without_text: str, rr: stats.RiskRatio) -> str:
    """The plain sentence for one comparison, or why there is none."""
    if rr.ratio is None:
        return f"No comparison: every judged project is in one group ({rr.n1} {with_text}, {rr.n0} {without_text})."
    if rr.too_few:
        return (
            f"Too few to judge ({rr.total} closed projects; at least {stats.MIN_CELL} achieving and "
            f"{stats.MIN_CELL} not achieving in each group, and {stats.MIN_TOTAL} projects in all, are needed)."
        )
    text = (
        f"Projects {with_text} achieved their aim {_n(rr.ratio)} times as often as those {without_text} "
        f"(95% CI {_n(rr.low)} to {_n(rr.high)}; {rr.total} closed projects)"
    )
    if not rr.is_finding:
        text += ": the interval includes 1, so no clear difference"
    if rr.corrected:
        text += "; 0.5 added to every cell because one was zero"
    return text + "."
