from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from spiral.organisations.models import OrganisationType, Role, Unit, UnitKind, User

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
    pass


class UnitForm(forms.Form):
    code = forms.CharField(
        max_length=32, help_text="The ODS code or a local code, for example RJ1 or RJ1-W12"
    )
    name = forms.CharField(max_length=200)
    organisation_type = forms.ChoiceField(
        choices=EMPTY + list(OrganisationType.choices),
        required=False,
        help_text="Organisations only",
    )
    opened_on = forms.DateField(
        required=False,
        label="Opened on",
        help_text="For example 2019-04-01",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    closed_on = forms.DateField(
        required=False,
        label="Closed on",
        help_text="Leave blank while it is open",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )


class NewUnitForm(UnitForm):
    kind = forms.ChoiceField(choices=EMPTY + list(UnitKind.choices), label="Kind of unit")

    field_order = ["kind", "code", "name", "organisation_type", "opened_on", "closed_on"]

    def __init__(self, *args: Any, parent: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from spiral.organisations.models import ALLOWED_PARENTS

        allowed = [(k, label) for k, label in UnitKind.choices if parent.kind in ALLOWED_PARENTS[k]]
        self.fields["kind"].choices = EMPTY + allowed


class MoveUnitForm(forms.Form):
    parent_code = forms.CharField(label="Code of the new parent unit", max_length=32)

    def clean_parent_code(self) -> Unit:
        code = self.cleaned_data["parent_code"].strip()
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(f"No unit has the code {code}; check the code and try again")
        return unit


class AddMemberForm(forms.Form):
    email = forms.EmailField(label="Email address of the person")
    role = forms.ChoiceField(choices=EMPTY + list(Role.choices))

    def clean_email(self) -> User:
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"No one with the email address {email} uses Spiral yet")
        return user


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=150, label="Your name", help_text="As colleagues know you")
    job_title = forms.CharField(max_length=150, required=False)
    profession = forms.CharField(max_length=100, required=False)


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Token name", help_text="What the token is for, e.g. nightly data load"
    )


class UnitImportForm(forms.Form):
    file = forms.FileField(
        label="Units file (CSV or XLSX)",
        help_text=(
            "Columns: code, name, kind, parent_code, organisation_type. The first row names the columns."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 20 MB; split it into smaller files")
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("The file must be a CSV or XLSX file")
        return upload


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
