"""Choosing, not typing: the units and people a form offers, and the fields that offer them.

A form never asks for a bare code. It offers a <select> of what the person may choose (the units where
their role grants the permission, their own units first), which spiral/init.js turns into the NHS.UK
autocomplete; without JavaScript the plain select works. A list longer than LIMIT is a search-and-pick:
the select offers the units matching the page's "find" words (and the one already chosen), and says how
many there are in all. What is submitted is checked against everything permitted, not only what was
offered, so a unit given in the address (?unit=CODE) is accepted even where the list was cut short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from spiral.core.types import AnyUser
from spiral.organisations.models import Membership, Unit, UnitKind, User
from spiral.organisations.permissions import Permission, units_where, visible_to

LIMIT = 300  # longest list offered whole; beyond it, the list is narrowed by the "find" words
AUTOCOMPLETE = {"data-spiral-autocomplete": "true"}
EMPTY = ("", "Choose one")


def unit_label(unit: Unit) -> str:
    return f"{unit.name} ({unit.code})"


def person_label(person: User) -> str:
    extra = person.job_title or person.email
    return f"{person.display_name} ({extra})" if extra else person.display_name


@dataclass
class Offered:
    """What a choosing field offers: the choices, how many there are in all, and the words that narrowed
    them (when there were too many to offer)."""

    choices: list[tuple[str, str]]
    total: int
    query: str = ""

    @property
    def cut(self) -> bool:
        return self.total > len(self.choices)


def own_unit_ids(user: AnyUser | None) -> set[int]:
    """The units where the user holds a role, and every unit above them: "their own" units."""
    if not isinstance(user, User):
        return set()
    ids: set[int] = set()
    for unit in Unit.objects.filter(pk__in=Membership.objects.filter(user=user).values("unit")):
        ids.add(unit.pk)
        ids.update(unit.ancestor_ids())
    return ids


def _own_first(qs: QuerySet[Unit], own: set[int]) -> QuerySet[Unit]:
    if not own:
        return qs.order_by("name", "id")
    return qs.annotate(
        own=Case(When(pk__in=own, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("own", "name", "id")


def _narrow(qs: QuerySet[Unit], query: str, selected: str, own: set[int]) -> QuerySet[Unit]:
    """A long list cut down: the units matching every word (of the name, or the code), the one chosen,
    and the user's own."""
    q = Q(pk__in=own)
    words = query.split()
    if words:
        match = Q()
        for word in words:
            match &= Q(name__icontains=word) | Q(code__iexact=word)
        q |= match
    if selected:
        q |= Q(code__iexact=selected)
    return qs.filter(q)


def offer_units(
    qs: QuerySet[Unit],
    user: AnyUser | None,
    *,
    query: str = "",
    selected: str = "",
    limit: int = LIMIT,
    own: set[int] | None = None,
) -> Offered:
    """The units of `qs` as choices (code, "Name (CODE)"), the user's own first (`own`: their ids, when
    the caller has them already); narrowed by `query` (words of the name, or the code) when there are
    more than `limit`. One query for a list that fits (two with the user's own units)."""
    own = own_unit_ids(user) if own is None else own
    units = list(_own_first(qs, own)[: limit + 1])
    if len(units) <= limit:
        return Offered([(u.code, unit_label(u)) for u in units], len(units), query.strip())
    total = qs.count()
    units = list(_own_first(_narrow(qs, query, selected, own), own)[:limit])
    return Offered([(u.code, unit_label(u)) for u in units], total, query.strip())


def permitted_units(user: AnyUser, permission: Permission) -> QuerySet[Unit]:
    """The units where the user's roles grant `permission` (through spiral.organisations.permissions)."""
    return units_where(user, permission)


def organisation_of(unit: Unit) -> Unit:
    """The organisation a unit belongs to (itself when it is one, or above organisations)."""
    if unit.kind in (UnitKind.NATION, UnitKind.REGION, UnitKind.ICB, UnitKind.ORGANISATION):
        return unit
    found = (
        Unit.objects.filter(pk__in=unit.ancestor_ids(), kind=UnitKind.ORGANISATION).order_by("-path").first()
    )
    return found or unit


def offer_people(
    user: AnyUser, unit: Unit, *, exclude: list[int] | None = None, limit: int = LIMIT
) -> Offered:
    """The people who hold a role in `unit`'s organisation (on it or beneath it), by name, as choices
    (user id, "Name (job title)"); at most `limit`, those on `unit` itself first."""
    home = organisation_of(unit)
    memberships = Membership.objects.filter(home.subtree_q("unit__"))
    qs = visible_to(user, User.objects.filter(is_active=True, pk__in=memberships.values("user")))
    if exclude:
        qs = qs.exclude(pk__in=exclude)
    total = qs.count()
    near = Membership.objects.filter(unit.subtree_q("unit__")).values("user")
    people = list(
        qs.annotate(
            near=Case(When(pk__in=near, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("near", "display_name", "id")[:limit]
    )
    return Offered([(str(p.pk), person_label(p)) for p in people], total)


class UnitChoiceField(forms.ChoiceField):
    """A unit chosen from a list (a select made an autocomplete), cleaned to the Unit.

    `allowed` is every unit that may be chosen; `offer()` sets what the select lists. A value outside
    the list but in `allowed` (the list was cut short, or the unit came from the address) is accepted.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Select(attrs=dict(AUTOCOMPLETE)))
        super().__init__(choices=[EMPTY], **kwargs)
        self.allowed: QuerySet[Unit] = Unit.objects.none()
        self.offered = Offered([], 0)

    def offer(self, allowed: QuerySet[Unit], offered: Offered) -> None:
        self.allowed = allowed
        self.offered = offered
        self.choices = [EMPTY, *offered.choices]

    def valid_value(self, value: Any) -> bool:
        return True  # clean() looks the code up in `allowed`

    def clean(self, value: Any) -> Unit | None:  # a Unit, not the code
        code = super().clean(value)
        if not code:
            return None
        code = str(code).strip()
        unit = self.allowed.filter(code__iexact=code).first()
        if unit is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": code}
            )
        return unit


class CodeChoiceField(forms.ChoiceField):
    """A unit's code chosen from a list (a select made an autocomplete) on a page that looks the code up
    itself (a GET form of choices, as benchmarking's): any code is passed on as text, the page says
    when no unit has it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Select(attrs=dict(AUTOCOMPLETE)))
        kwargs.setdefault("choices", [EMPTY])
        super().__init__(**kwargs)

    def valid_value(self, value: Any) -> bool:
        return True


class PersonChoiceField(forms.ChoiceField):
    """A person chosen from a list (a select made an autocomplete), cleaned to the User.

    The list is the people of the unit's organisation (`offer_people`); someone beyond it is found by the
    form's email field instead, so any active person offered or not may be chosen by their id.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Select(attrs=dict(AUTOCOMPLETE)))
        super().__init__(choices=[EMPTY], **kwargs)

    def offer(self, offered: Offered) -> None:
        self.choices = [EMPTY, *offered.choices]

    def valid_value(self, value: Any) -> bool:
        return True  # clean() looks the person up

    def clean(self, value: Any) -> User | None:  # a User, not the id
        raw = super().clean(value)
        if not raw:
            return None
        person = (
            User.objects.filter(pk=int(raw), is_active=True).first() if str(raw).strip().isdigit() else None
        )
        if person is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return person


__all__ = [
    "AUTOCOMPLETE",
    "LIMIT",
    "CodeChoiceField",
    "Offered",
    "PersonChoiceField",
    "UnitChoiceField",
    "offer_people",
    "offer_units",
    "organisation_of",
    "own_unit_ids",
    "permitted_units",
    "person_label",
    "unit_label",
]
