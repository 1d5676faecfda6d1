"""Every write to projects: keyword arguments, the acting person as `by=`, one transaction, audited.

Pages, the API and the demo call these functions; the rules live here and nowhere else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from spiral.core import audit, limits, numbers, periods, screening
from spiral.core.errors import Duplicate
from spiral.organisations.models import Unit, User
from spiral.projects import measures
from spiral.projects.models import (
    NODE_LEVEL,
    AimAchieved,
    Attachment,
    CarriedOut,
    Decision,
    DriverEdge,
    DriverNode,
    JournalEntry,
    Method,
    NodeKind,
    PdsaCycle,
    PredictionConfirmed,
    ProgressLevel,
    ProgressScale,
    ProgressScore,
    Project,
    ProjectRole,
    Purpose,
    ScoreRole,
    Stage,
    Status,
    TeamMember,
    Topic,
)

logger = logging.getLogger(__name__)

PROJECT_FIELDS = (
    "title", "problem", "aim", "aim_measure", "aim_baseline", "aim_target", "aim_date", "status",
    "stage", "method", "start_date", "lessons", "aim_achieved", "closed_on",
)  # fmt: skip
EDITABLE_PROJECT_FIELDS = frozenset(PROJECT_FIELDS) - {"closed_on"} | {"topics"}
CYCLE_FIELDS = (
    "purpose", "objective", "questions", "prediction", "plan_who", "plan_what", "plan_when",
    "plan_where", "data_to_collect", "scale_of_test", "planned_start", "planned_end", "started_on",
    "ended_on", "carried_out", "what_happened", "problems", "observations", "results",
    "prediction_confirmed", "learning", "decision", "rationale", "next_steps",
)  # fmt: skip
# Recording any of these means the test has been done (or begun): the prediction must come first.
DO_FIELDS = ("started_on", "ended_on", "carried_out", "what_happened", "problems", "observations")
CYCLE_CHOICES = {
    "purpose": Purpose.values,
    "carried_out": CarriedOut.values,
    "prediction_confirmed": PredictionConfirmed.values,
    "decision": Decision.values,
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Extension → (content type, a check of the first bytes). Text files must decode as UTF-8.
ATTACHMENT_TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    ".pdf": ("application/pdf", lambda b: b.startswith(b"%PDF-")),
    ".png": ("image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda b: b.startswith(b"PK\x03\x04"),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda b: b.startswith(b"PK\x03\x04"),
    ),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        lambda b: b.startswith(b"PK\x03\x04"),
    ),
    ".csv": ("text/csv", lambda b: _is_text(b)),
    ".txt": ("text/plain", lambda b: _is_text(b)),
}


class StaleRecord(audit.StaleEdit):
    """The record changed since the person (or script) read it: HTTP 409, or the form shows both."""

    message = (
        "This {kind} was changed by someone else since you opened it; "
        "your changes have not been saved. Compare the two versions and save again"
    )


# How refusals name each free-text field ("The aim looks like it holds a phone number: ...").
FIELD_LABELS = {
    "title": "The title", "problem": "The problem", "aim": "The aim", "aim_measure": "The aim's measure",
    "lessons": "The lessons", "objective": "The objective", "questions": "The questions",
    "prediction": "The prediction", "plan_who": "Who", "plan_what": "What", "plan_when": "When",
    "plan_where": "Where", "data_to_collect": "The data to collect", "scale_of_test": "The scale of the test",
    "what_happened": "What happened", "problems": "The problems", "observations": "The observations",
    "results": "The results", "learning": "The learning", "rationale": "The rationale",
    "next_steps": "The next steps", "text": "The text", "description": "The description",
    "comment": "The comment",
}  # fmt: skip


def screen_fields(values: Mapping[str, Any], before: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Refusals for project text holding personal data: everyone signed in can read a project, so staff
    write it without identifying details (core.screening decides what is personal data). Only text that
    is new or changed is screened, so an edit of one field is never refused for another one's old text."""
    changed = {
        name: value
        for name, value in values.items()
        if isinstance(value, str) and (before is None or before.get(name) != value)
    }
    return screening.check_fields(changed, FIELD_LABELS)


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is fine.
        return exc.start >= len(data) - 3
    return True


def _user(by: User | None) -> User | None:
    return by if getattr(by, "pk", None) else None


def _scope(project: Project) -> str:
    return project.unit.path


def _choices_message(value: Any, choices: Iterable[str]) -> str:
    return f"'{value}' is not allowed; use one of: {', '.join(choices)}"


def default_scale() -> ProgressScale:
    """The progress scale a new project gets: the latest version of the default (the IHI scale)."""
    scale = ProgressScale.objects.filter(is_default=True).order_by("-version").first()
    if scale is None:  # pragma: no cover - the data migration adds it
        raise RuntimeError("No default progress scale: run the migrations")
    return scale


def parse_month(value: Any) -> dt.date:
    """A progress score's month as its first day, read by the one month reader (`periods.parse_month`:
    a date, '2025-03', 'Mar 2025'). ValueError (a PeriodError) with a message if not, or if outside
    the months a progress score may have."""
    month = periods.parse_month(value)
    problem = periods.PROGRESS_MONTH.problem(month, timezone.localdate())
    if problem:
        raise ValueError(problem)
    return month


def clean_topics(topics: Iterable[str] | str | None) -> list[str]:
    """Topic names as stored: lower case, spaces collapsed, blanks and repeats dropped (a comma-separated
    string is split first)."""
    if topics is None:
        return []
    if isinstance(topics, str):
        topics = topics.split(",")
    cleaned: list[str] = []
    for topic in topics:
        name = " ".join(str(topic).split()).lower()
        if name and name not in cleaned:
            cleaned.append(name)
    return cleaned


# --- projects ---------------------------------------------------------------------------------------


def _validate_project(values: dict[str, Any], *, before: Mapping[str, Any] | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if not values["title"]:
        errors["title"] = "Enter a title for the project"
    for name, message in limits.length_errors(Project, values).items():
        errors.setdefault(name, message)
    if values["status"] not in Status.values:
        errors["status"] = _choices_message(values["status"], Status.values)
    if values["stage"] not in Stage.values:
        errors["stage"] = _choices_message(values["stage"], Stage.values)
    if values["method"] not in Method.values:
        errors["method"] = _choices_message(values["method"], Method.values)
    if values["aim_achieved"] and values["aim_achieved"] not in AimAchieved.values:
        errors["aim_achieved"] = _choices_message(values["aim_achieved"], AimAchieved.values)
    if values["status"] in (Status.ACTIVE, Status.CLOSED) and not values["aim"]:
        errors["aim"] = (
            "Enter the aim (what are you trying to accomplish?) before the project becomes active, "
            "or save it as a draft"
        )
    aim_date = values["aim_date"]
    changed_date = before is None or before.get("aim_date") != aim_date
    if aim_date and changed_date and aim_date < today and values["status"] != Status.CLOSED:
        errors["aim_date"] = (
            f"The aim date {aim_date:%d/%m/%Y} is in the past; an aim says by when it will be reached, "
            "so give a date from today on"
        )
    for name, what in (("aim_target", "target"), ("aim_baseline", "baseline")):
        value = values[name]
        if value is None:
            continue
        problem = numbers.number_problem(value, what=what)
        if problem:
            errors[name] = problem[:1].upper() + problem[1:]
    for name in ("aim_date", "start_date", "closed_on"):
        if isinstance(values.get(name), dt.date) and name not in errors:
            problem = periods.PROJECT_DATE.problem(values[name], today)
            if problem:
                errors[name] = problem[:1].upper() + problem[1:]
    if values["status"] == Status.CLOSED:
        if not values["lessons"]:
            errors["lessons"] = "Say what the team learned: closing a project records its lessons"
        if values["aim_achieved"] not in AimAchieved.values:
            errors["aim_achieved"] = "Say whether the aim was achieved: yes, partly or no"
    for topic in values["topics"]:
        if len(topic) > 60:
            errors["topics"] = f"The topic '{topic[:20]}…' is too long: a topic has at most 60 characters"
    if len(values["topics"]) > 20:
        errors["topics"] = "Give at most 20 topics"
    return errors


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    for key in ("title", "problem", "aim", "aim_measure", "lessons", "aim_achieved", "status", "stage"):
        if key in values:
            values[key] = (values[key] or "").strip()
    for key in ("aim_target", "aim_baseline"):
        if isinstance(values.get(key), str):
            text = values[key].strip()
            with contextlib.suppress(numbers.NumberError):  # a word stays a word: the validation says why
                values[key] = numbers.parse_number(text) if text else None
    if "topics" in values:
        values["topics"] = clean_topics(values["topics"])
    return values


def _set_topics(project: Project, names: list[str]) -> None:
    existing = {t.name: t for t in Topic.objects.filter(name__in=names)}
    missing = [Topic(name=n) for n in names if n not in existing]
    if missing:
        Topic.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Topic.objects.filter(name__in=names)}
    project.topics.set([existing[n] for n in names])


def _topic_names(project: Project) -> list[str]:
    return sorted(project.topics.values_list("name", flat=True))


@transaction.atomic
def create_project(
    *,
    unit: Unit,
    title: str,
    by: User | None,
    problem: str = "",
    aim: str = "",
    aim_measure: str = "",
    aim_baseline: float | None = None,
    aim_target: float | None = None,
    aim_date: dt.date | None = None,
    status: str = Status.DRAFT,
    stage: str = Stage.SCOPING,
    method: str = Method.MODEL_FOR_IMPROVEMENT,
    topics: Iterable[str] | str | None = None,
    start_date: dt.date | None = None,
    team: Sequence[tuple[User, str]] = (),
) -> Project:
    """Start a project in `unit`. The person starting it becomes its lead unless `team` names one.

    A draft may lack an aim; an active project needs a title and an aim. A new project's aim date may
    not be in the past.
    """
    values = _normalise(
        {
            "title": title, "problem": problem, "aim": aim, "aim_measure": aim_measure,
            "aim_baseline": aim_baseline, "aim_target": aim_target, "aim_date": aim_date,
            "status": status or Status.DRAFT, "stage": stage or Stage.SCOPING,
            "method": method or Method.MODEL_FOR_IMPROVEMENT, "topics": topics, "start_date": start_date,
            "lessons": "", "aim_achieved": "",
        }
    )  # fmt: skip
    errors = _validate_project(values, before=None)
    errors |= screen_fields({k: values[k] for k in ("title", "problem", "aim", "aim_measure")})
    if values["status"] == Status.CLOSED:
        errors["status"] = "A new project cannot start closed; create it as a draft or active"
    for _, role in team:
        if role not in ProjectRole.values:
            errors["team"] = _choices_message(role, ProjectRole.values)
    if errors:
        raise ValidationError(errors)
    topic_names = values.pop("topics")
    project = Project.objects.create(
        unit=unit,
        scale=default_scale(),
        created_by=_user(by),
        start_date=values.pop("start_date") or timezone.localdate(),
        **values,
    )
    _set_topics(project, topic_names)
    members = list(team)
    if _user(by) and not any(role == ProjectRole.LEAD for _, role in members):
        members.insert(0, (by, ProjectRole.LEAD))  # type: ignore[arg-type]
    seen: set[int] = set()
    rows = []
    for user, role in members:
        if user.pk not in seen:
            seen.add(user.pk)
            rows.append(TeamMember(project=project, user=user, role=role))
    TeamMember.objects.bulk_create(rows)
    project.has_patient_partner = any(r.role == ProjectRole.PATIENT_PARTNER for r in rows)
    DriverNode.objects.create(project=project, kind=NodeKind.AIM, text=(project.aim or project.title)[:500])
    project.save(update_fields=["has_patient_partner"])
    audit.record(
        action="project.create",
        obj=project,
        by=by,
        scope_path=unit.path,
        changes={f: [None, getattr(project, f)] for f in PROJECT_FIELDS if getattr(project, f)}
        | {"unit": [None, unit.code], "topics": [None, topic_names]}
        | {"team": [None, [f"{r.user} ({r.role})" for r in rows]]},
    )
    logger.info("project.create project_id=%s unit_id=%s", project.pk, unit.pk)
    return project


@transaction.atomic
def update_project(
    *, project: Project, by: User | None, version: int | None = None, **changes: Any
) -> Project:
    """Change a project's fields (and topics). A stale `version` raises StaleRecord; nothing changes.

    Setting status to closed needs `lessons` and `aim_achieved` (see close_project).
    """
    unknown = set(changes) - EDITABLE_PROJECT_FIELDS
    if unknown:
        raise ValidationError({f: "This field cannot be changed here" for f in sorted(unknown)})
    project = Project.objects.select_for_update(of=("self",)).select_related("unit").get(pk=project.pk)
    audit.refuse_stale(project, version, error=StaleRecord, kind="project")
    before = audit.snapshot(project, PROJECT_FIELDS) | {"topics": _topic_names(project)}
    values = dict(before) | _normalise(dict(changes))
    errors = _validate_project(values, before=before)
    errors |= screen_fields(
        {k: values[k] for k in ("title", "problem", "aim", "aim_measure", "lessons")}, before
    )
    if errors:
        raise ValidationError(errors)
    if values["status"] == Status.CLOSED and before["status"] != Status.CLOSED:
        values["closed_on"] = timezone.localdate()
    elif values["status"] != Status.CLOSED:
        values["closed_on"] = None
    if "topics" in changes:
        values["topics"] = sorted(values["topics"])
    changed = audit.diff(before, values)
    if not changed:
        return project
    topics = changed.pop("topics", None)
    if topics is not None:
        _set_topics(project, values["topics"])
    closing = "status" in changed and values["status"] == Status.CLOSED
    audit.save_version(
        project,
        {k: values[k] for k in changed},
        by=by,
        action="project.close" if closing else "project.update",
        scope_path=_scope(project),
        changes=changed | ({"topics": topics} if topics is not None else {}),
    )
    if "aim" in changed:
        DriverNode.objects.filter(project=project, kind=NodeKind.AIM).update(
            text=(project.aim or project.title)[:500]
        )
    return project


def close_project(
    *, project: Project, lessons: str, aim_achieved: str, by: User | None, version: int | None = None
) -> Project:
    """Close a project: what was learned and whether the aim was achieved, so every closed project says.
    The stage stays where it was."""
    return update_project(
        project=project,
        by=by,
        version=version,
        status=Status.CLOSED,
        lessons=lessons,
        aim_achieved=aim_achieved,
    )


# --- team ---------------------------------------------------------------------------------------------


def _refresh_partnership(project: Project) -> None:
    has = project.team.filter(role=ProjectRole.PATIENT_PARTNER).exists()
    if has != project.has_patient_partner:
        Project.objects.filter(pk=project.pk).update(has_patient_partner=has)
        project.has_patient_partner = has
    project.forget_team()


@transaction.atomic
def add_team_member(*, project: Project, user: User, role: str, by: User | None) -> TeamMember:
    """Put `user` on the project's team in `role` (audited); refuses an unknown role, an inactive person
    and someone already on the team (Duplicate)."""
    if role not in ProjectRole.values:
        raise ValidationError({"role": _choices_message(role, ProjectRole.values)})
    if not user.is_active:
        raise ValidationError({"user": f"{user.display_name} no longer uses Spiral"})
    existing = TeamMember.objects.filter(project=project, user=user).first()
    if existing is not None:
        raise Duplicate(
            {"user": f"{user.display_name} is already on the team ({existing.get_role_display().lower()}); "
             "change their role instead"}
        )  # fmt: skip
    member = TeamMember.objects.create(project=project, user=user, role=role)
    _refresh_partnership(project)
    audit.record(
        action="project.team_add", obj=project, by=by, scope_path=_scope(project),
        changes={"team": [None, f"{user} ({role})"]},
    )  # fmt: skip
    return member


def _ensure_a_lead_remains(member: TeamMember) -> None:
    others = TeamMember.objects.filter(project_id=member.project_id, role=ProjectRole.LEAD).exclude(
        pk=member.pk
    )
    if member.role == ProjectRole.LEAD and not others.exists():
        raise ValidationError({"role": "A project keeps at least one lead: make someone else the lead first"})


@transaction.atomic
def change_team_role(*, member: TeamMember, role: str, by: User | None) -> TeamMember:
    """Give a team member another project role (audited); refuses to leave the project without a lead."""
    if role not in ProjectRole.values:
        raise ValidationError({"role": _choices_message(role, ProjectRole.values)})
    member = (
        TeamMember.objects.select_for_update(of=("self",))
        .select_related("project__unit", "user")
        .get(pk=member.pk)
    )
    if role == member.role:
        return member
    if role != ProjectRole.LEAD:
        _ensure_a_lead_remains(member)
    old = member.role
    member.role = role
    member.save(update_fields=["role"])
    _refresh_partnership(member.project)
    audit.record(
        action="project.team_role", obj=member.project, by=by, scope_path=_scope(member.project),
        changes={"team": [f"{member.user} ({old})", f"{member.user} ({role})"]},
    )  # fmt: skip
    return member


@transaction.atomic
def remove_team_member(*, member: TeamMember, by: User | None) -> None:
    """Take a member off the project's team (audited); refuses to remove the last lead."""
    member = (
        TeamMember.objects.select_for_update(of=("self",))
        .select_related("project__unit", "user")
        .get(pk=member.pk)
    )
    _ensure_a_lead_remains(member)
    project = member.project
    member.delete()
    _refresh_partnership(project)
    audit.record(
        action="project.team_remove", obj=project, by=by, scope_path=_scope(project),
        changes={"team": [f"{member.user} ({member.role})", None]},
    )  # fmt: skip


# --- driver diagram -----------------------------------------------------------------------------------


def diagram_data(project: Project) -> dict[str, Any]:
    """The diagram in the API's shape: nodes (id, kind, text, order) and edges (from → to)."""
    nodes = [
        {"id": n.pk, "kind": n.kind, "text": n.text, "order": n.order}
        for n in DriverNode.objects.filter(project=project).order_by("order", "id")
    ]
    edges = [
        {"from": parent, "to": child}
        for parent, child in DriverEdge.objects.filter(project=project)
        .order_by("id")
        .values_list("parent_id", "child_id")
    ]
    return {"nodes": nodes, "edges": edges, "version": project.diagram_version}


def _find_cycle(ids: Iterable[int], edges: list[tuple[int, int]]) -> bool:
    """Is there a directed cycle? (Kahn's algorithm: nodes left over sit on one.)"""
    children: dict[int, list[int]] = {i: [] for i in ids}
    indegree = dict.fromkeys(children, 0)
    for parent, child in edges:
        children[parent].append(child)
        indegree[child] += 1
    ready = [i for i, d in indegree.items() if d == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for child in children[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    return seen < len(children)


def _validate_diagram(
    project: Project, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]
) -> tuple[dict[str, str], dict[int, dict[str, Any]], list[tuple[int, int]]]:
    errors: dict[str, str] = {}
    by_id: dict[int, dict[str, Any]] = {}
    existing = {n.pk: n for n in DriverNode.objects.filter(project=project)}
    for position, raw in enumerate(nodes):
        where = f"nodes.{position}"
        try:
            node_id = int(raw.get("id"))  # type: ignore[arg-type]  # None raises TypeError: caught
        except (TypeError, ValueError):
            errors[f"{where}.id"] = (
                "Every node needs an id: the node's own, or a negative number for a new one"
            )
            continue
        kind = str(raw.get("kind") or "")
        text = " ".join(str(raw.get("text") or "").split())
        if node_id in by_id:
            errors[f"{where}.id"] = f"The id {node_id} is used twice"
        elif node_id > 0 and node_id not in existing:
            errors[f"{where}.id"] = (
                f"Node {node_id} is not in this project's diagram; give new nodes negative ids"
            )
        if kind not in NodeKind.values:
            errors[f"{where}.kind"] = _choices_message(kind, NodeKind.values)
        if not text:
            errors[f"{where}.text"] = "Enter the text of the node"
        elif len(text) > 500:
            errors[f"{where}.text"] = limits.too_long_message(500, len(text))
        elif node_id not in existing or existing[node_id].text != text:
            refused = screen_fields({"text": text})
            if refused:
                errors[f"{where}.text"] = refused["text"].replace(
                    "The text", f"The text of node {position + 1}", 1
                )
        order = raw.get("order", position)
        try:
            order = int(order if order is not None else position)
        except (TypeError, ValueError):
            errors[f"{where}.order"] = "The order is a whole number"
            order = position
        by_id[node_id] = {"id": node_id, "kind": kind, "text": text, "order": max(order, 0)}
    aims = [n for n in by_id.values() if n["kind"] == NodeKind.AIM]
    if by_id and len(aims) != 1:
        errors["nodes"] = f"A driver diagram has exactly one aim; this one has {len(aims)}"
    pairs: list[tuple[int, int]] = []
    for position, raw in enumerate(edges):
        where = f"edges.{position}"
        try:
            parent, child = int(raw.get("from")), int(raw.get("to"))  # type: ignore[arg-type]  # as above
        except (TypeError, ValueError):
            errors[where] = "An edge names the ids of two nodes: from (nearer the aim) and to"
            continue
        if parent not in by_id or child not in by_id:
            missing = parent if parent not in by_id else child
            errors[where] = f"Node {missing} is not among the nodes sent"
            continue
        if parent == child:
            errors[where] = "A node cannot be linked to itself"
            continue
        if (parent, child) in pairs:
            continue  # the same link twice is one link
        p_kind, c_kind = by_id[parent]["kind"], by_id[child]["kind"]
        if p_kind in NODE_LEVEL and c_kind in NODE_LEVEL:
            deeper = NODE_LEVEL[c_kind] > NODE_LEVEL[p_kind]
            finer = p_kind == c_kind == NodeKind.SECONDARY
            if not (deeper or finer):
                errors[where] = (
                    f"A {NodeKind(p_kind).label.lower()} cannot sit above "
                    f"a {NodeKind(c_kind).label.lower()}: "
                    "links run from the aim to primary drivers, secondary drivers and change ideas"
                )
                continue
        pairs.append((parent, child))
    if not any(k.startswith("edges") for k in errors) and _find_cycle(by_id, pairs):
        errors["edges"] = (
            "These links make a loop (a node would sit beneath itself, e.g. moved under its own child); "
            "a driver diagram has no loops"
        )
    # Change ideas with PDSA cycles keep their place: their cycles point at them.
    for node in existing.values():
        if node.kind != NodeKind.CHANGE_IDEA:
            continue
        sent = by_id.get(node.pk)
        if (sent is None or sent["kind"] != NodeKind.CHANGE_IDEA) and node.cycles.exists():
            errors["nodes"] = (
                f"The change idea “{node.text}” has PDSA cycles, so it cannot be removed "
                "or turned into another kind of node"
            )
    return errors, by_id, pairs


@transaction.atomic
def save_driver_diagram(
    *,
    project: Project,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    by: User | None,
    version: int | None = None,
) -> dict[int, int]:
    """Replace the project's diagram with `nodes` and `edges` (the API's PUT body).

    New nodes carry negative ids; the answer maps each to its real id. The whole diagram is checked
    first (one aim, links that run downwards, no loops) and nothing changes if any of it is wrong.
    """
    project = Project.objects.select_for_update(of=("self",)).select_related("unit").get(pk=project.pk)
    audit.refuse_stale(project, version, error=StaleRecord, kind="driver diagram", field="diagram_version")
    errors, by_id, pairs = _validate_diagram(project, list(nodes), list(edges))
    if errors:
        raise ValidationError(errors)
    before = diagram_data(project)
    existing = {n.pk: n for n in DriverNode.objects.filter(project=project)}
    mapping: dict[int, int] = {}
    for node_id, values in by_id.items():
        if node_id > 0:
            node = existing[node_id]
            if (node.kind, node.text, node.order) != (values["kind"], values["text"], values["order"]):
                node.kind, node.text, node.order = values["kind"], values["text"], values["order"]
                node.save(update_fields=["kind", "text", "order"])
            mapping[node_id] = node_id
        else:
            node = DriverNode.objects.create(
                project=project, kind=values["kind"], text=values["text"], order=values["order"]
            )
            mapping[node_id] = node.pk
    DriverNode.objects.filter(project=project).exclude(pk__in=mapping.values()).delete()
    DriverEdge.objects.filter(project=project).delete()
    DriverEdge.objects.bulk_create(
        DriverEdge(project=project, parent_id=mapping[p], child_id=mapping[c]) for p, c in pairs
    )
    after = diagram_data(project)
    audit.save_version(
        project,
        field="diagram_version",
        update_fields=["diagram_version", "updated_at"],
        by=by,
        action="project.diagram",
        scope_path=_scope(project),
        changes={
            "nodes": [before["nodes"], after["nodes"]],
            "edges": [before["edges"], after["edges"]],
            "diagram_version": [before["version"], after["version"] + 1],
        },
    )
    return mapping


def _change_diagram(
    project: Project, by: User | None, mutate: Callable[[list[dict[str, Any]], list[dict[str, Any]]], None]
) -> dict[int, int]:
    data = diagram_data(project)
    nodes, edges = data["nodes"], data["edges"]
    mutate(nodes, edges)
    return save_driver_diagram(project=project, nodes=nodes, edges=edges, by=by)


def _next_order(nodes: list[dict[str, Any]]) -> int:
    return max((n["order"] for n in nodes), default=0) + 1


@transaction.atomic
def add_node(
    *, project: Project, kind: str, text: str, parents: Iterable[int], by: User | None
) -> DriverNode:
    """Add one node beneath `parents` (node ids of this project)."""
    parent_ids = [int(p) for p in parents]
    if kind != NodeKind.AIM and not parent_ids:
        raise ValidationError({"parents": "Choose where the new node goes (the node it sits beneath)"})

    refused = screen_fields({"text": " ".join((text or "").split())})
    if refused:
        raise ValidationError(refused)

    def mutate(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
        nodes.append({"id": -1, "kind": kind, "text": text, "order": _next_order(nodes)})
        edges.extend({"from": p, "to": -1} for p in parent_ids)

    mapping = _change_diagram(project, by, mutate)
    return DriverNode.objects.get(pk=mapping[-1])


@transaction.atomic
def edit_node(
    *, node: DriverNode, text: str, by: User | None, parents: Iterable[int] | None = None,
    description: str | None = None,
) -> DriverNode:  # fmt: skip
    """Change a node's text and, when `parents` is given, move it beneath those nodes."""
    parent_ids = None if parents is None else [int(p) for p in parents]
    if parent_ids is not None and node.kind != NodeKind.AIM and not parent_ids:
        raise ValidationError({"parents": "Choose at least one node for it to sit beneath"})
    refused = screen_fields(
        {"text": " ".join((text or "").split()), "description": (description or "").strip()},
        {"text": node.text, "description": node.description},
    )
    if refused:
        raise ValidationError(refused)

    def mutate(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
        for n in nodes:
            if n["id"] == node.pk:
                n["text"] = text
        if parent_ids is not None:
            edges[:] = [e for e in edges if e["to"] != node.pk] + [
                {"from": p, "to": node.pk} for p in parent_ids
            ]

    _change_diagram(node.project, by, mutate)
    node.refresh_from_db()
    if description is not None and description.strip() != node.description:
        old = node.description
        node.description = description.strip()
        node.save(update_fields=["description"])
        audit.record(
            action="project.change_idea", obj=node.project, by=by, scope_path=_scope(node.project),
            changes={"description": [old, node.description]},
        )  # fmt: skip
    return node


@transaction.atomic
def shift_node(*, node: DriverNode, direction: str, by: User | None) -> None:
    """Move a node one place up or down among the nodes of its kind (the no-JavaScript reorder)."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move a node up or down"})

    def mutate(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
        same = sorted((n for n in nodes if n["kind"] == node.kind), key=lambda n: (n["order"], n["id"]))
        for i, n in enumerate(same):
            n["order"] = i  # renumber densely first, so a swap always moves it
        at = next(i for i, n in enumerate(same) if n["id"] == node.pk)
        other = at - 1 if direction == "up" else at + 1
        if 0 <= other < len(same):
            same[at]["order"], same[other]["order"] = same[other]["order"], same[at]["order"]

    _change_diagram(node.project, by, mutate)


@transaction.atomic
def delete_node(*, node: DriverNode, by: User | None) -> None:
    """Remove a node and its links (what sat beneath only it stays, unlinked, until it is moved)."""
    if node.kind == NodeKind.AIM:
        raise ValidationError({"node": "The aim is the root of the diagram and cannot be removed"})

    def mutate(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
        nodes[:] = [n for n in nodes if n["id"] != node.pk]
        edges[:] = [e for e in edges if node.pk not in (e["from"], e["to"])]

    _change_diagram(node.project, by, mutate)


@transaction.atomic
def create_change_idea(
    *, project: Project, title: str, by: User | None, description: str = "", parents: Iterable[int] = ()
) -> DriverNode:
    """A change idea is a node of the diagram; `parents` are the drivers it acts on (may be none yet)."""
    parent_ids = [int(p) for p in parents]
    refused = screen_fields(
        {"title": " ".join((title or "").split()), "description": (description or "").strip()}
    )
    if refused:
        raise ValidationError(refused)

    def mutate(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
        nodes.append({"id": -1, "kind": NodeKind.CHANGE_IDEA, "text": title, "order": _next_order(nodes)})
        edges.extend({"from": p, "to": -1} for p in parent_ids)

    try:
        mapping = _change_diagram(project, by, mutate)
    except ValidationError as exc:
        # Speak of the idea's title, not of "nodes.7.text".
        if hasattr(exc, "error_dict") and any(k.endswith(".text") for k in exc.message_dict):
            raise ValidationError({"title": "Enter the change idea (at most 500 characters)"}) from None
        raise
    idea = DriverNode.objects.get(pk=mapping[-1])
    if description.strip():
        idea.description = description.strip()
        idea.save(update_fields=["description"])
    return idea


# --- PDSA cycles --------------------------------------------------------------------------------------


def prediction_fixed(values: Mapping[str, Any] | PdsaCycle) -> bool:
    """Whether a cycle's prediction can no longer change: it was written and the test has begun (any of
    the Do fields is recorded). `values` is a cycle's fields (a PdsaCycle's, or a mapping of them)."""

    def get(name: str) -> Any:
        return values.get(name) if isinstance(values, Mapping) else getattr(values, name)

    return bool(get("prediction")) and any(get(f) for f in DO_FIELDS)


def _validate_cycle(values: dict[str, Any], before: Mapping[str, Any] | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["objective"]:
        errors["objective"] = "Enter the objective of this cycle: what is it testing?"
    for name, choices in CYCLE_CHOICES.items():
        if values[name] and values[name] not in choices:
            errors[name] = _choices_message(values[name], choices)
    done = [f for f in DO_FIELDS if values[f]]
    if done and not values["prediction"]:
        errors["prediction"] = (
            "Write the prediction before recording what happened: in a PDSA cycle the prediction "
            "is made before the test"
        )
    changed_prediction = before is not None and values["prediction"] != before["prediction"]
    if changed_prediction and before is not None and prediction_fixed(before):
        errors["prediction"] = (
            "The prediction cannot change once the test has begun; record what you found under Study"
        )
    for start, end, label in (
        ("planned_start", "planned_end", "planned end"),
        ("started_on", "ended_on", "end"),
    ):
        if values[start] and values[end] and values[end] < values[start]:
            errors[end] = f"The {label} date must be on or after the start date"
    for name, message in limits.length_errors(PdsaCycle, values).items():
        errors.setdefault(name, message)
    today = timezone.localdate()
    for name in ("planned_start", "planned_end", "started_on", "ended_on"):
        if isinstance(values.get(name), dt.date) and name not in errors:
            problem = periods.PROJECT_DATE.problem(values[name], today)
            if problem:
                errors[name] = problem[:1].upper() + problem[1:]
    for name in ("started_on", "ended_on"):
        if name not in errors and values[name] and values[name] > today:
            errors[name] = "This date is in the future; record it when it has happened (plan it above)"
    if values["decision"] and not (values["results"] or values["learning"]):
        errors["results"] = "Record the results (compared with the prediction) before deciding what to do"
    return errors


def _clean_cycle_values(values: dict[str, Any]) -> dict[str, Any]:
    for key, value in list(values.items()):
        if isinstance(value, str):
            values[key] = value.strip()
        elif value is None and key in CYCLE_FIELDS and not key.endswith(("_on", "_start", "_end")):
            values[key] = ""
    return values


def annotate_cycle_start(cycle: PdsaCycle, by: User | None) -> int:
    """Mark the start of a cycle on the project's charts. Returns how many charts were marked.

    The seam to Measurement: the project's linked series get a "change tested" annotation.
    """
    return measures.annotate_cycle_start(cycle, by=by)


@transaction.atomic
def create_cycle(
    *, project: Project, change_idea: DriverNode, objective: str, by: User | None, **fields: Any
) -> PdsaCycle:
    """Plan a PDSA cycle of `change_idea` (a change idea of this same project)."""
    unknown = set(fields) - set(CYCLE_FIELDS)
    if unknown:
        raise ValidationError({f: "This field is not part of a PDSA cycle" for f in sorted(unknown)})
    if change_idea.project_id != project.pk:
        raise ValidationError(
            {
                "change_idea": "That change idea belongs to another project; "
                "choose one of this project's change ideas"
            }
        )
    if change_idea.kind != NodeKind.CHANGE_IDEA:
        raise ValidationError(
            {
                "change_idea": f"“{change_idea.text}” is a {change_idea.get_kind_display().lower()}, "
                "not a change idea"
            }
        )
    values = _clean_cycle_values(dict.fromkeys(CYCLE_FIELDS, None) | fields | {"objective": objective})
    errors = _validate_cycle(values, None)
    errors |= screen_fields({k: v for k, v in values.items() if k not in CYCLE_CHOICES})
    if errors:
        raise ValidationError(errors)
    DriverNode.objects.select_for_update(of=("self",)).filter(
        pk=change_idea.pk
    ).first()  # number cycles one at a time
    number = (PdsaCycle.objects.filter(change_idea=change_idea).aggregate(n=Max("number"))["n"] or 0) + 1
    cycle = PdsaCycle.objects.create(
        project=project,
        change_idea=change_idea,
        number=number,
        created_by=_user(by),
        predicted_at=timezone.now() if values["prediction"] else None,
        **values,
    )
    audit.record(
        action="pdsa.create",
        obj=cycle,
        by=by,
        scope_path=_scope(project),
        changes={"change_idea": [None, change_idea.text], "number": [None, number]}
        | {f: [None, values[f]] for f in CYCLE_FIELDS if values[f]},
    )
    if cycle.started_on:
        annotate_cycle_start(cycle, by)
    return cycle


@transaction.atomic
def update_cycle(
    *, cycle: PdsaCycle, by: User | None, version: int | None = None, **changes: Any
) -> PdsaCycle:
    """Record the plan, do, study and act of a cycle. A stale `version` raises StaleRecord."""
    unknown = set(changes) - set(CYCLE_FIELDS)
    if unknown:
        raise ValidationError({f: "This field cannot be changed here" for f in sorted(unknown)})
    cycle = (
        PdsaCycle.objects.select_for_update(of=("self",))
        .select_related("project__unit", "change_idea")
        .get(pk=cycle.pk)
    )
    audit.refuse_stale(cycle, version, error=StaleRecord, kind="PDSA cycle")
    before = audit.snapshot(cycle, CYCLE_FIELDS)
    values = before | _clean_cycle_values(dict(changes))
    errors = _validate_cycle(values, before)
    errors |= screen_fields({k: v for k, v in values.items() if k not in CYCLE_CHOICES}, before)
    if errors:
        raise ValidationError(errors)
    changed = audit.diff(before, values)
    if not changed:
        return cycle
    fields = {k: values[k] for k in changed}
    if "prediction" in changed and values["prediction"] and not cycle.predicted_at:
        fields["predicted_at"] = timezone.now()
    audit.save_version(
        cycle, fields, by=by, action="pdsa.update", scope_path=_scope(cycle.project), changes=changed
    )
    if "started_on" in changed and not before["started_on"] and cycle.started_on:
        annotate_cycle_start(cycle, by)
    return cycle


# --- measures -----------------------------------------------------------------------------------------
# Linking series writes to the project and reads (or starts) Measurement's series; the work is in
# spiral.projects.measures, the one module that touches Measurement. The same functions, named here.

link_series = measures.link_series
create_series_for_project = measures.create_series_for_project
unlink_series = measures.unlink_series
set_aim_series = measures.set_aim_series


# --- progress -----------------------------------------------------------------------------------------


def scale_levels(scale: ProgressScale) -> list[ProgressLevel]:
    """The levels of a progress scale, lowest score first."""
    return list(ProgressLevel.objects.filter(scale=scale).order_by("score"))


def _refresh_latest_score(project: Project) -> None:
    # The latest month's score; within a month, the team's own score before the coach's.
    rows = list(
        ProgressScore.objects.filter(project=project)
        .order_by("-month")
        .values_list("month", "role", "score")[:2]
    )
    rows = [r for r in rows if r[0] == rows[0][0]] if rows else []
    rows.sort(key=lambda r: r[1] != ScoreRole.SELF)
    latest = rows[0][2] if rows else None
    Project.objects.filter(pk=project.pk).update(latest_score=latest)
    project.latest_score = latest


@transaction.atomic
def record_score(
    *, project: Project, score: Any, by: User | None, comment: str = "", month: Any = None
) -> ProgressScore:
    """Give the project its score for a month (default: this month) on its scale (docs/reference/qi.md §1).

    The role is `coach` when the person is the project's coach, else `self`; scoring the same month
    and role again replaces the score (audited).
    """
    errors: dict[str, str] = {}
    levels = scale_levels(project.scale)
    allowed = ", ".join(f"{lv.score}" for lv in levels)
    try:
        # The one number parser first: Decimal() alone reads '1_0' and non-ASCII digits.
        value = Decimal(str(numbers.parse_number(score, minimum=-100, maximum=100, what="score")))
    except (numbers.NumberError, InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value not in {lv.score for lv in levels}:
        errors["score"] = f"{score} is not a score on the {project.scale.name}; use one of {allowed}"
    today = timezone.localdate()
    try:
        first = parse_month(month) if month not in (None, "") else today.replace(day=1)
    except ValueError as exc:
        errors["month"] = str(exc)
        first = today.replace(day=1)
    if first > today:
        errors["month"] = "The month is in the future; score a month when it has come"
    comment = (comment or "").strip()
    if len(comment) > limits.SHORT_TEXT:
        errors["comment"] = limits.too_long_message(limits.SHORT_TEXT, len(comment))
    else:
        errors |= screen_fields({"comment": comment})
    if errors:
        raise ValidationError(errors)
    assert value is not None
    user = _user(by)
    is_coach = user is not None and project.team.filter(user=user, role=ProjectRole.COACH).exists()
    role = ScoreRole.COACH if is_coach else ScoreRole.SELF
    existing = (
        ProgressScore.objects.select_for_update(of=("self",))
        .filter(project=project, month=first, role=role)
        .first()
    )
    old = (existing.score, existing.comment) if existing else (None, None)
    if existing is None:
        row = ProgressScore.objects.create(
            project=project, month=first, role=role, score=value, comment=comment, scale=project.scale,
            assessed_by=user,
        )  # fmt: skip
    else:
        existing.score, existing.comment, existing.assessed_by = value, comment, user
        existing.scale = project.scale
        existing.save()
        row = existing
    _refresh_latest_score(project)
    audit.record(
        action="project.score",
        obj=project,
        by=by,
        scope_path=_scope(project),
        changes={
            "month": [None, f"{first:%Y-%m}"],
            "role": [None, role],
            "score": [old[0], value],
            "comment": [old[1], comment],
        },
    )
    return row


# --- journal ------------------------------------------------------------------------------------------


def check_attachment(upload: UploadedFile) -> tuple[str, str]:
    """(clean file name, content type) for an upload, or ValidationError saying what is wrong."""
    name = PurePath(upload.name or "file").name[-200:]
    suffix = PurePath(name).suffix.lower()
    if suffix not in ATTACHMENT_TYPES:
        raise ValidationError(
            f"{name}: files of this type cannot be attached; use one of "
            + ", ".join(s.lstrip(".").upper() for s in ATTACHMENT_TYPES)
        )
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(f"{name} is larger than 10 MB; attach a smaller file")
    if upload.size == 0:
        raise ValidationError(f"{name} is empty")
    content_type, looks_right = ATTACHMENT_TYPES[suffix]
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if not looks_right(head):
        raise ValidationError(
            f"{name} does not look like a {suffix.lstrip('.').upper()} file; check the file"
        )
    return name, content_type


@transaction.atomic
def add_journal_entry(
    *,
    project: Project,
    text: str,
    by: User | None,
    on: dt.date | None = None,
    files: Sequence[UploadedFile] = (),
) -> JournalEntry:
    """A dated update, with files (size and type checked before anything is stored)."""
    errors: dict[str, Any] = {}
    text = (text or "").strip()
    on = on or timezone.localdate()
    if not text:
        errors["text"] = "Enter the update"
    elif len(text) > limits.LONG_TEXT:
        errors["text"] = limits.too_long_message(limits.LONG_TEXT, len(text))
    else:
        errors |= {
            k: v.replace("The text", "The update", 1) for k, v in screen_fields({"text": text}).items()
        }
    if periods.PROJECT_DATE.problem(on, timezone.localdate()):
        errors["on"] = str(periods.PROJECT_DATE.problem(on, timezone.localdate()))
    elif on > timezone.localdate():
        errors["on"] = "The date is in the future; write the update on or after the day it is about"
    checked = []
    problems = []
    for upload in files:
        try:
            checked.append((upload, *check_attachment(upload)))
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        errors["files"] = problems
    if errors:
        raise ValidationError(errors)
    entry = JournalEntry.objects.create(project=project, on=on, text=text, author=_user(by))
    for upload, name, content_type in checked:
        attachment = Attachment(entry=entry, name=name, size=upload.size, content_type=content_type)  # type: ignore[misc]  # an upload has a size
        attachment.file.save(name, upload, save=False)
        attachment.save()
    audit.record(
        action="project.journal",
        obj=project,
        by=by,
        scope_path=_scope(project),
        changes={"journal": [None, f"{on}: {text[:200]}"], "files": [None, [c[1] for c in checked]]},
    )
    return entry
