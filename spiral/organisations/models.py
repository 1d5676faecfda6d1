"""Units (the hierarchy nation → region → ICB → organisation → directorate → team), people and roles."""

from __future__ import annotations

import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from spiral.core import codes
from spiral.core.models import CreatedAt, Versioned

# Materialised path: each ancestor's id, zero-padded to a fixed width, concatenated (digits only, so
# ordering and prefix ranges agree under every collation on SQLite and PostgreSQL).
PATH_WIDTH = 8


class UnitKind(models.TextChoices):
    NATION = "nation", "Nation"
    REGION = "region", "Region"
    ICB = "icb", "Integrated care board"
    ORGANISATION = "organisation", "Organisation"
    DIRECTORATE = "directorate", "Directorate or service"
    TEAM = "team", "Team"


# Which kinds a unit of each kind may sit under (None: no parent at all).
ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {
    UnitKind.NATION: (None,),
    UnitKind.REGION: (UnitKind.NATION,),
    UnitKind.ICB: (UnitKind.REGION,),
    UnitKind.ORGANISATION: (UnitKind.ICB,),
    UnitKind.DIRECTORATE: (UnitKind.ORGANISATION, UnitKind.DIRECTORATE),
    UnitKind.TEAM: (UnitKind.ORGANISATION, UnitKind.DIRECTORATE),
}


class OrganisationType(models.TextChoices):
    ACUTE_TRUST = "acute_trust", "Acute trust"
    MENTAL_HEALTH_TRUST = "mental_health_trust", "Mental health trust"
    COMMUNITY_TRUST = "community_trust", "Community trust"
    AMBULANCE_TRUST = "ambulance_trust", "Ambulance trust"
    GP_PRACTICE = "gp_practice", "GP practice"
    SOCIAL_CARE_PROVIDER = "social_care_provider", "Social care provider"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    PATIENT_PARTNER = "patient_partner", "Patient or carer partner"
    COACH = "coach", "Improvement coach"
    IMPROVEMENT_LEAD = "improvement_lead", "Improvement lead"
    LEADER = "leader", "Leader"
    ANALYST = "analyst", "Analyst"
    ADMIN = "admin", "Administrator"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is needed to sign in")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in with an email address."""

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    profession = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [models.Index(fields=["display_name"], name="user_display_name_idx")]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email


class Unit(Versioned):
    """Any node of the hierarchy. `path` holds the ids of its ancestors and itself."""

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[codes.CodeValidator(codes.ODS, max_length=32)],
        help_text="ODS-style code (letters, digits and -), e.g. RJ1 or Y56",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=UnitKind.choices)
    organisation_type = models.CharField(
        max_length=32, choices=OrganisationType.choices, blank=True, help_text="Organisations only"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "path"], name="unit_kind_path_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="organisation") | Q(organisation_type=""),
                name="unit_type_only_for_organisations",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None or self.closed_on > timezone.localdate()

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent (not this unit), read from the path."""
        ids = [int(self.path[i : i + PATH_WIDTH]) for i in range(0, len(self.path), PATH_WIDTH)]
        return ids[:-1]

    def subtree_q(self, prefix: str = "") -> Q:
        """Q for this unit and everything beneath it: one indexed range on the path."""
        return subtree_q(self.path, prefix)


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_WIDTH}d}"


def subtree_q(path: str, prefix: str = "", field: str = "path") -> Q:
    """Q for the unit with `path` and its descendants; `prefix` reaches a related unit (`unit__`).

    `field` names another column holding a unit path (e.g. an audit event's `scope_path`).
    """
    # Digits only: the successor of the path (as a number of the same width) bounds the range.
    upper = str(int(path) + 1).zfill(len(path))
    return Q(**{f"{prefix}{field}__gte": path, f"{prefix}{field}__lt": upper})


class Membership(CreatedAt):
    """A person holds a role on a unit; the role applies to everything beneath it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["unit__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit.name}"


class ApiToken(CreatedAt):
    """A personal access token for scripts. Only a hash is stored; the token is shown once."""

    PREFIX = "spiral_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
