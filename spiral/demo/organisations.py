"""Demo step: the hierarchy (nation → regions → ICBs → organisations → directorates → teams) and people."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.hashers import make_password

from spiral.core import audit
from spiral.demo import names
from spiral.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from spiral.demo.builder import DemoContext, reset_sequences
from spiral.organisations.models import (
    Membership,
    OrganisationType,
    Role,
    Unit,
    UnitKind,
    User,
    path_segment,
)

REGIONS = (
    ("Y56", "London"),
    ("Y58", "South West"),
    ("Y59", "South East"),
    ("Y60", "Midlands"),
    ("Y61", "East of England"),
    ("Y62", "North West"),
    ("Y63", "North East and Yorkshire"),
)
ALNUM = "ABCDEFGHJKLMNPQRTUVWXY0123456789"
GP_LETTERS = "ABCDEFGHJKLMNP"


class _Builder:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.units: list[Unit] = []
        self.users: list[User] = []
        self.memberships: list[Membership] = []
        self.next_unit = itertools.count(1)
        self.next_user = itertools.count(1)
        self.next_membership = itertools.count(1)
        self.places = iter(self._shuffled(names.PLACES * 20))
        self.trust_codes: Iterator[str] = (f"R{a}{b}" for a in ALNUM for b in ALNUM)
        self.icb_codes: Iterator[str] = (f"Q{a}{b}" for a in ALNUM for b in ALNUM)
        self.social_codes = itertools.count(101_000_001)
        self.emails: set[str] = set()

    def _shuffled(self, items: list[str] | tuple[str, ...]) -> list[str]:
        items = list(items)
        self.rng.shuffle(items)
        return items

    def unit(
        self, *, code: str, name: str, kind: str, parent: Unit | None, organisation_type: str = ""
    ) -> Unit:
        pk = next(self.next_unit)
        unit = Unit(
            pk=pk,
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            organisation_type=organisation_type,
            path=(parent.path if parent else "") + path_segment(pk),
            depth=parent.depth + 1 if parent else 0,
        )
        self.units.append(unit)
        self.ctx.units.setdefault(kind, []).append(unit)
        return unit

    def person(self, *, org_hint: str, profession: str | None = None, job_title: str | None = None) -> User:
        first, last = self.rng.choice(names.FIRST_NAMES), self.rng.choice(names.LAST_NAMES)
        profession = profession or self.rng.choice(names.PROFESSIONS)
        job_title = job_title or self.rng.choice(names.JOB_TITLES[profession])
        pk = next(self.next_user)
        email = f"{first}.{last}.{pk}@{org_hint}.nhs.example".lower()
        user = User(
            pk=pk,
            email=email,
            display_name=f"{first} {last}",
            job_title=job_title,
            profession=profession,
            password="!demo-unusable",
        )  # "!" prefix: cannot sign in
        self.users.append(user)
        return user

    def role(self, user: User, unit: Unit, role: str) -> None:
        self.memberships.append(Membership(pk=next(self.next_membership), user=user, unit=unit, role=role))

    def staff(self, unit: Unit, hint: str, count: int) -> None:
        for _ in range(count):
            self.role(self.person(org_hint=hint), unit, Role.MEMBER)

    # --- the tree -----------------------------------------------------------------------------------
    def build(self) -> None:
        size = self.ctx.size
        nation = self.unit(code="ENG", name="England", kind=UnitKind.NATION, parent=None)
        self.role(
            self.person(org_hint="england", profession="Management", job_title="National improvement lead"),
            nation,
            Role.LEADER,
        )
        for code, name in REGIONS[: size.regions]:
            region = self.unit(code=code, name=f"NHS England {name}", kind=UnitKind.REGION, parent=nation)
            self.role(
                self.person(org_hint="england", profession="Management", job_title="Regional director"),
                region,
                Role.LEADER,
            )
            for _ in range(size.icbs_per_region):
                self.icb(region)
            for _ in range(size.ambulance_per_region):
                self.trust(region_parent=None, region=region, org_type=OrganisationType.AMBULANCE_TRUST)

    def icb(self, region: Unit) -> None:
        size = self.ctx.size
        place = next(self.places)
        icb = self.unit(
            code=next(self.icb_codes),
            name=f"NHS {place} Integrated Care Board",
            kind=UnitKind.ICB,
            parent=region,
        )
        hint = place.lower()
        self.role(
            self.person(org_hint=hint, profession="Management", job_title="Chief executive"), icb, Role.LEADER
        )
        self.role(
            self.person(org_hint=hint, profession="Management", job_title="Senior analyst"), icb, Role.ANALYST
        )
        for _ in range(size.acute_per_icb):
            self.trust(region_parent=icb, region=region, org_type=OrganisationType.ACUTE_TRUST)
        for _ in range(size.mental_health_per_icb):
            self.trust(region_parent=icb, region=region, org_type=OrganisationType.MENTAL_HEALTH_TRUST)
        for _ in range(size.community_per_icb):
            self.trust(region_parent=icb, region=region, org_type=OrganisationType.COMMUNITY_TRUST)
        for _ in range(size.gp_per_icb):
            self.gp_practice(icb, region)
        for _ in range(size.social_care_per_icb):
            self.social_care(icb)

    def trust(self, *, region_parent: Unit | None, region: Unit, org_type: str) -> None:
        size = self.ctx.size
        place = next(self.places)
        parent: Unit | None
        directorates: tuple[tuple[str, str, tuple[str, ...]], ...]
        if org_type == OrganisationType.AMBULANCE_TRUST:
            # Ambulance trusts serve a whole region: they sit under the region's first ICB.
            parent = region_parent or self._first_icb_or_new(region)
            name, directorates, per = f"{place} Ambulance Service NHS Trust", names.AMBULANCE_DIRECTORATES, 10
        elif org_type == OrganisationType.MENTAL_HEALTH_TRUST:
            parent, directorates = region_parent, names.MENTAL_HEALTH_DIRECTORATES
            name, per = f"{place} Partnership NHS Foundation Trust", size.teams_per_other_directorate
        elif org_type == OrganisationType.COMMUNITY_TRUST:
            parent, directorates = region_parent, names.COMMUNITY_DIRECTORATES
            name, per = f"{place} Community Health NHS Trust", size.teams_per_other_directorate
        else:
            parent = region_parent
            directorates = names.ACUTE_DIRECTORATES[: size.acute_directorates]
            name, per = f"{place} Hospitals NHS Foundation Trust", size.teams_per_acute_directorate
        assert parent is not None
        code = next(self.trust_codes)
        org = self.unit(
            code=code, name=name, kind=UnitKind.ORGANISATION, parent=parent, organisation_type=org_type
        )
        hint = place.lower()
        self.role(self.person(org_hint=hint, profession="Nursing", job_title="Chief nurse"), org, Role.LEADER)
        self.role(
            self.person(org_hint=hint, profession="Management", job_title="Head of quality improvement"),
            org,
            Role.IMPROVEMENT_LEAD,
        )
        for _ in range(2):
            self.role(
                self.person(org_hint=hint, profession="Management", job_title="Improvement coach"),
                org,
                Role.COACH,
            )
        self.role(
            self.person(org_hint=hint, profession="Management", job_title="Information analyst"),
            org,
            Role.ANALYST,
        )
        for abbr, dir_name, patterns in directorates:
            directorate = self.unit(
                code=f"{code}-{abbr}", name=dir_name, kind=UnitKind.DIRECTORATE, parent=org
            )
            self.role(
                self.person(org_hint=hint, profession="Management", job_title="Clinical director"),
                directorate,
                Role.LEADER,
            )
            for n in range(1, per + 1):
                pattern = patterns[(n - 1) % len(patterns)]
                team = self.unit(
                    code=f"{code}-{abbr}-{n:02d}",
                    name=pattern.format(n=(n - 1) // len(patterns) + 1),
                    kind=UnitKind.TEAM,
                    parent=directorate,
                )
                # Every third team names two staff, the rest one: the small demo has ~400 people.
                self.staff(team, hint, 1 + (n % 3 == 0))
                if n % 4 == 1:
                    self.role(self._patient(hint), team, Role.PATIENT_PARTNER)

    def _patient(self, hint: str) -> User:
        first, last = self.rng.choice(names.FIRST_NAMES), self.rng.choice(names.LAST_NAMES)
        pk = next(self.next_user)
        user = User(
            pk=pk,
            email=f"{first}.{last}.{pk}@partners.{hint}.example".lower(),
            display_name=f"{first} {last}",
            job_title="Patient partner",
            profession="",
            password="!demo-unusable",
        )
        self.users.append(user)
        return user

    def _first_icb_or_new(self, region: Unit) -> Unit:
        for icb in self.ctx.units.get(UnitKind.ICB, []):
            if icb.parent is region:
                return icb
        self.icb(region)
        return self.ctx.units[UnitKind.ICB][-1]

    def gp_practice(self, icb: Unit, region: Unit) -> None:
        letter = GP_LETTERS[REGIONS.index(next(r for r in REGIONS if r[0] == region.code)) % len(GP_LETTERS)]
        counter = self.ctx.extra.setdefault(f"gp-{letter}", itertools.count(81001))
        code = f"{letter}{next(counter)}"
        street = self.rng.choice(names.STREETS)
        place = next(self.places)
        name = self.rng.choice(
            (
                f"{street} Surgery",
                f"{place} Medical Centre",
                f"The {place} Practice",
                f"{place} Health Centre",
            )
        )
        org = self.unit(
            code=code,
            name=name,
            kind=UnitKind.ORGANISATION,
            parent=icb,
            organisation_type=OrganisationType.GP_PRACTICE,
        )
        hint = place.lower()
        self.role(self.person(org_hint=hint, profession="Medicine", job_title="GP partner"), org, Role.LEADER)
        for n, team_name in enumerate(("Practice team", "Reception and administration"), start=1):
            team = self.unit(code=f"{code}-T{n}", name=team_name, kind=UnitKind.TEAM, parent=org)
            self.staff(team, hint, 2)

    def social_care(self, icb: Unit) -> None:
        place = next(self.places)
        code = f"1-{next(self.social_codes)}"
        name = self.rng.choice((f"{place} Care Homes Ltd", f"{place} Home Care", f"{place} Court Care Home"))
        org = self.unit(
            code=code,
            name=name,
            kind=UnitKind.ORGANISATION,
            parent=icb,
            organisation_type=OrganisationType.SOCIAL_CARE_PROVIDER,
        )
        hint = place.lower()
        self.role(
            self.person(org_hint=hint, profession="Social care", job_title="Registered manager"),
            org,
            Role.LEADER,
        )
        for n, team_name in enumerate(("Day team", "Night team"), start=1):
            team = self.unit(code=f"{code}-T{n}", name=team_name, kind=UnitKind.TEAM, parent=org)
            self.staff(team, hint, 2)

    # --- the fixed demo sign-ins --------------------------------------------------------------------
    def demo_accounts(self) -> None:
        by_kind = self.ctx.units
        organisation = next(
            u for u in by_kind[UnitKind.ORGANISATION] if u.organisation_type == OrganisationType.ACUTE_TRUST
        )
        team = next(u for u in by_kind[UnitKind.TEAM] if u.path.startswith(organisation.path))
        anchors: dict[str, Any] = {
            "nation": by_kind[UnitKind.NATION][0],
            "region": organisation.parent.parent,  # type: ignore[union-attr]  # a trust sits under an ICB
            "icb": organisation.parent,
            "organisation": organisation,
            "team": team,
        }
        self.ctx.anchors = anchors
        password = make_password(DEMO_PASSWORD)  # hashed once, shared by the fixed sign-ins
        for account in DEMO_ACCOUNTS:
            user = User(
                pk=next(self.next_user),
                email=account.email,
                display_name=account.display_name,
                job_title=account.job_title,
                password=password,
                is_staff=account.role == "admin",
                is_superuser=account.role == "admin",
            )
            self.users.append(user)
            self.role(user, anchors[account.where], account.role)
        self.ctx.extra["demo_users"] = {
            a.email: u for a, u in zip(DEMO_ACCOUNTS, self.users[-len(DEMO_ACCOUNTS) :], strict=True)
        }

    def save(self) -> None:
        Unit.objects.bulk_create(self.units, batch_size=2000)
        User.objects.bulk_create(self.users, batch_size=2000)
        Membership.objects.bulk_create(self.memberships, batch_size=2000)
        reset_sequences([Unit, User, Membership])
        # Bulk writes are audited too: one event per object, written in bulk. The objects in hand
        # carry their explicit ids (and their unit and user), so nothing is read back.
        audit.record_many(action="unit.create", objects=self.units, by=None, scope_path_of=lambda u: u.path)
        audit.record_many(action="user.create", objects=self.users, by=None)
        audit.record_many(
            action="membership.add", objects=self.memberships, by=None, scope_path_of=lambda m: m.unit.path
        )
        self.ctx.counts.update(
            units=len(self.units), people=len(self.users), memberships=len(self.memberships)
        )


def build(ctx: DemoContext) -> None:
    builder = _Builder(ctx)
    builder.build()
    builder.demo_accounts()
    builder.save()
