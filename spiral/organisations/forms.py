from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils import timezone

from spiral.core import codes, limits, periods
from spiral.core.forms import TextField, WindowedDateField, clean_tabular_upload
from spiral.organisations import choices
from spiral.organisations.choices import PersonChoiceField, UnitChoiceField
from spiral.organisations.models import OrganisationType, Role, Unit, UnitKind, User
from spiral.organisations.permissions import Permission

EMPTY = [("", "Choose one")]


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "The email address or password is not right. Check them and try again.",
        "inactive": "This account is not active. Ask an administrator to turn it back on.",
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].error_messages["required"] = "Enter your email address"
        self.fields["password"].error_messages["required"] = "Enter your password"


class SpiralPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, message in (
            ("old_password", "Enter your current password"),
            ("new_password1", "Enter a new password"),
            ("new_password2", "Enter the new password again"),
        ):
            self.fields[name].error_messages["required"] = message


class UnitForm(forms.Form):
    code = forms.CharField(
        error_messages={"required": "Enter the unit's code, for example RJ1 or RJ1-W12"},
        max_length=32,
        validators=[codes.CodeValidator(codes.ODS, max_length=32)],
        help_text="The ODS code or a local code: letters, digits and -, for example RJ1 or RJ1-W12",
    )
    name = TextField(error_messages={"required": "Enter the unit's name"}, max_length=limits.NAME)
    organisation_type = forms.ChoiceField(
        choices=EMPTY + list(OrganisationType.choices),
        required=False,
        help_text="Organisations only",
    )
    opened_on = WindowedDateField(
        window=periods.UNIT_DATE, required=False, label="Opened on", help_text="For example 2019-04-01"
    )
    closed_on = WindowedDateField(
        window=periods.UNIT_DATE, required=False, label="Closed on", help_text="Leave blank while it is open"
    )


class NewUnitForm(UnitForm):
    kind = forms.ChoiceField(
        error_messages={"required": "Choose the kind of unit"},
        choices=EMPTY + list(UnitKind.choices),
        label="Kind of unit",
    )

    field_order = ["kind", "code", "name", "organisation_type", "opened_on", "closed_on"]

    def __init__(self, *args: Any, parent: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from spiral.organisations.models import ALLOWED_PARENTS

        allowed = [(k, label) for k, label in UnitKind.choices if parent.kind in ALLOWED_PARENTS[k]]
        self.fields["kind"].choices = EMPTY + allowed  # type: ignore[attr-defined]  # a ChoiceField


class MoveUnitForm(forms.Form):
    """The new parent of a unit, chosen from the units where the person may add units (of a kind the unit
    may sit under, not beneath the unit itself); any real unit is read, and the page refuses one they
    may not change."""

    parent_code = UnitChoiceField(
        label="The new parent unit",
        help_text="Units where you may add units, of a kind this unit can sit under: start typing a name",
        error_messages={
            "required": "Choose the unit to move it beneath",
            "invalid_choice": "No unit has the code %(value)s: choose one from the list",
        },
    )

    def __init__(self, *args: Any, user: Any = None, unit: Unit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from spiral.organisations.models import ALLOWED_PARENTS

        offered = Unit.objects.none()
        if unit is not None and user is not None:
            kinds = [k for k in ALLOWED_PARENTS[unit.kind] if k]
            offered = (
                choices.permitted_units(user, Permission.CHANGE_UNIT)
                .filter(kind__in=kinds)
                .exclude(unit.subtree_q())
                .exclude(pk=unit.parent_id or 0)
            )
        field: UnitChoiceField = self.fields["parent_code"]  # type: ignore[assignment]
        selected = str((self.data if self.is_bound else self.initial).get("parent_code") or "")
        field.offer(Unit.objects.all(), choices.offer_units(offered, user, selected=selected))


class GrantableRoleField(forms.ChoiceField):
    """The roles offered are those the person may grant; a real role beyond them is refused as such."""

    def validate(self, value: Any) -> None:
        if value in Role.values and not self.valid_value(value):
            raise forms.ValidationError(
                f"You do not have permission to grant the role {Role(value).label.lower()} here: it "
                "outranks your own role. Choose one of the roles listed, or ask someone who holds it",
                code="not_grantable",
            )
        super().validate(value)


class AddMemberForm(forms.Form):
    """A role for someone on a unit: the person chosen from the organisation's people, or anyone who uses
    Spiral by their email address; the roles offered are those the person adding may grant."""

    person = PersonChoiceField(
        label="Person",
        required=False,
        help_text="People who hold a role in this organisation: start typing a name",
        error_messages={"invalid_choice": "Choose a person from the list"},
    )
    email = forms.EmailField(
        label="Or the email address of someone else",
        required=False,
        help_text="Anyone who uses Spiral, in another organisation too",
        error_messages={"invalid": "Enter an email address like name@nhs.net"},
    )
    role = GrantableRoleField(
        choices=EMPTY + list(Role.choices), error_messages={"required": "Choose the role to give them"}
    )

    def __init__(
        self, *args: Any, roles: list[Role] | None = None, user: Any = None, unit: Unit | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = EMPTY + [(r.value, r.label) for r in roles]  # type: ignore[attr-defined]  # a ChoiceField
        if unit is not None:
            field: PersonChoiceField = self.fields["person"]  # type: ignore[assignment]
            field.offer(choices.offer_people(user, unit))

    def clean_email(self) -> User | None:
        email = (self.cleaned_data.get("email") or "").strip().lower()
        if not email:
            return None
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"No one with the email address {email} uses Spiral yet")
        return user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = data.get("person") or data.get("email")
        if chosen is None and not self.has_error("person") and not self.has_error("email"):
            self.add_error("person", "Choose the person to give the role to, or give their email address")
        data["chosen"] = chosen
        return data


class ProfileForm(forms.Form):
    display_name = TextField(
        error_messages={"required": "Enter your name as colleagues know you"},
        max_length=150,
        label="Your name",
        help_text="As colleagues know you",
    )
    job_title = TextField(max_length=150, required=False)
    profession = TextField(max_length=100, required=False)


class TokenForm(forms.Form):
    name = TextField(
        error_messages={"required": "Enter a name saying what the token is for"},
        max_length=100,
        label="Token name",
        help_text="What the token is for, e.g. nightly data load",
    )


class UnitImportForm(forms.Form):
    file = forms.FileField(
        error_messages={"required": "Choose the units file to import"},
        label="Units file (CSV or XLSX)",
        help_text=(
            "Columns: code, name, kind, parent_code, organisation_type. The first row names the columns."
        ),
    )

    def clean_file(self) -> Any:
        return clean_tabular_upload(self.cleaned_data["file"])


class PeopleSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Name, email or job title")
    unit = forms.CharField(required=False, label="Unit code", help_text="People in this unit or beneath it")
    role = forms.ChoiceField(choices=[("", "Any role"), *Role.choices], required=False)

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = Unit.objects.filter(code__iexact=code).first()
        if unit is None:
            raise forms.ValidationError(f"No unit has the code {code}")
        return unit


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
# Before Spiral existed nothing was recorded; far ahead is a typing slip (and beyond datetime's range).
AUDIT_EARLIEST = dt.date(2000, 1, 1)


def _audited_types() -> list[tuple[str, str]]:
    """Every model of Spiral's own apps, as (app_label.model, "Verbose name (app_label.model)")."""
    found = [
        (m._meta.label_lower, f"{str(m._meta.verbose_name).capitalize()} ({m._meta.label_lower})")
        for m in apps.get_models()
        if m.__module__.startswith("spiral.") and m._meta.label_lower != "core.auditevent"
    ]
    return sorted(found, key=lambda pair: pair[1])


class AuditFilterForm(forms.Form):
    """Filters of the audit history: where (unit), who (person), what (action, object) and when."""

    unit = forms.CharField(
        required=False, max_length=32, label="Unit code", help_text="Changes in this unit and beneath it"
    )
    person = forms.CharField(
        required=False, max_length=254, label="Who: email address of the person",
        help_text="Changes made by this person",
    )  # fmt: skip
    action = forms.CharField(
        required=False, max_length=64, label="What: action",
        help_text="For example unit.update, or membership. for every change to roles",
    )  # fmt: skip
    object_type = forms.ChoiceField(required=False, label="What: kind of record")
    object_id = forms.CharField(
        required=False, max_length=64, label="Record number", help_text="Only this record (with its kind)"
    )
    date_from = forms.DateField(
        required=False, input_formats=DATE_FORMATS, label="When: from", help_text="For example 2026-04-01"
    )
    date_to = forms.DateField(
        required=False, input_formats=DATE_FORMATS, label="When: to", help_text="Up to and including this day"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "Any kind of record"), *_audited_types()]  # type: ignore[attr-defined]  # a ChoiceField
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid"] = "Enter a real date, for example 2026-04-01"

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(f"No unit has the code {code}; check the code and try again")
        return unit

    def clean_person(self) -> User | None:
        email = self.cleaned_data["person"].strip().lower()
        if not email:
            return None
        person = User.objects.filter(email=email).first()  # deactivated people's changes count too
        if person is None:
            raise forms.ValidationError(f"No one with the email address {email} uses Spiral; check it")
        return person

    def _clean_date(self, name: str) -> dt.date | None:
        value = self.cleaned_data[name]
        latest = timezone.localdate() + dt.timedelta(days=1)
        if value is not None and not AUDIT_EARLIEST <= value <= latest:
            raise forms.ValidationError(
                f"Enter a date from {AUDIT_EARLIEST:%Y-%m-%d} to {latest:%Y-%m-%d}; nothing is recorded outside it"
            )
        return value

    def clean_date_from(self) -> dt.date | None:
        return self._clean_date("date_from")

    def clean_date_to(self) -> dt.date | None:
        return self._clean_date("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The 'to' date must be on or after the 'from' date")
        if data.get("object_id") and not data.get("object_type"):
            self.add_error("object_type", "Choose the kind of record the number belongs to")
        return data

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `queries.audit_events`."""
        data = self.cleaned_data
        return {
            "unit": data.get("unit"),
            "actor": data.get("person"),
            "action": (data.get("action") or "").strip() or None,
            "object_type": data.get("object_type") or None,
            "object_id": (data.get("object_id") or "").strip() or None,
            "since": data.get("date_from"),
            "until": data.get("date_to"),
        }
