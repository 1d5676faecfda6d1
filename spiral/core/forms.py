"""Helpers for forms rendered with the NHS.UK components (see core/jinja2/core/forms.jinja)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from spiral.core import limits, numbers, periods
from spiral.core.audit import StaleEdit

T = TypeVar("T")


def add_service_errors(
    form: forms.Form, error: ValidationError, *, field_map: dict[str, str] | None = None
) -> None:
    """Show a service's ValidationError on the form: on its field where the form has it, else at the top."""
    field_map = field_map or {}
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            target = field_map.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def submit_form(
    request: HttpRequest,
    form: forms.Form,
    *,
    save: Callable[[dict[str, Any]], T],
    success_url: str | Callable[[T], str],
    message: str | Callable[[T], str] | None = None,
    field_map: dict[str, str] | None = None,
    on_stale: str | Callable[[StaleEdit], None] | None = None,
) -> HttpResponse | None:
    """A form page's POST: validate `form`, call `save(cleaned_data)` (the service), then redirect to
    `success_url` with the success `message` (each may be worked out from what `save` returned).

    Returns None when the page should be shown again: not a POST, the form is invalid, or the service
    refused with a ValidationError (now on the form, through `add_service_errors`). A stale edit
    (`StaleEdit`) goes on the form as `on_stale` when it is text, or to `on_stale(error)` to show the
    saved version; without `on_stale` it is not caught. Any other error (a refusal of permission) is
    not caught either.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(form.cleaned_data)
    except StaleEdit as exc:
        if on_stale is None:
            raise
        if isinstance(on_stale, str):
            form.add_error(None, on_stale)
        else:
            on_stale(exc)
        return None
    except ValidationError as exc:
        add_service_errors(form, exc, field_map=field_map)
        return None
    if message is not None:
        messages.success(request, message(result) if callable(message) else message)
    return redirect(success_url(result) if callable(success_url) else success_url)


class RequiredMessages:
    """A form mixin: each required field's message when left empty says what to enter (`REQUIRED`, field
    name to message: "Enter the goal", "Choose the True North category"), never "This field is required"."""

    REQUIRED: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields  # type: ignore[attr-defined]  # a forms.Form's, after super().__init__
        for name, message in self.REQUIRED.items():
            if name in fields:
                fields[name].error_messages["required"] = message


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


class TooLongValidator(MaxLengthValidator):
    """A length refusal in the one wording of spiral.core.limits (the limit, the length, what to do)."""

    def __call__(self, value: Any) -> None:
        if len(value) > self.limit_value:
            raise ValidationError(limits.too_long_message(self.limit_value, len(value)), code="max_length")


class TextField(forms.CharField):
    """Free text with its documented maximum (docs/limits.md), refused with `too_long_message`.

    The browser's `maxlength` is left off on purpose: it would cut a pasted text short without saying
    so; the server refuses it instead and says by how much it is over.
    """

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]
        self.validators.append(TooLongValidator(max_length))

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class NumberField(forms.Field):
    """A number read by the one number parser (spiral.core.numbers), within the field's range."""

    def __init__(
        self,
        *,
        minimum: float = -numbers.LIMIT,
        maximum: float = numbers.LIMIT,
        whole: bool = False,
        what: str = "number",
        **kwargs: Any,
    ) -> None:
        self.minimum, self.maximum, self.whole, self.what = minimum, maximum, whole, what
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> float | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return numbers.parse_number(
                value, minimum=self.minimum, maximum=self.maximum, whole=self.whole, what=self.what
            )
        except numbers.NumberError as exc:
            raise ValidationError(_sentence(str(exc)), code="invalid") from None


class WindowedDateField(forms.DateField):
    """A date in the UK or ISO form, read by the one date reader (spiral.core.periods.parse_date) and
    refused outside its field's window (spiral.core.periods.Window)."""

    def __init__(self, *, window: periods.Window, **kwargs: Any) -> None:
        self.window = window
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dt.date):
            return value.date() if isinstance(value, dt.datetime) else value
        try:
            # ASCII digits only: ٢٠٢٥ is not read as 2025.
            return periods.parse_date(str(value))
        except periods.TwoDigitYear as exc:
            raise ValidationError(_sentence(str(exc)), code="invalid") from None
        except periods.PeriodError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None:
            problem = self.window.problem(value)
            if problem:
                raise ValidationError(_sentence(problem), code="out_of_window")


UPLOAD_MAX_BYTES = 20 * 1024 * 1024  # a units, training or headcount file read in the request


def clean_tabular_upload(upload: Any) -> Any:
    """An uploaded CSV or XLSX file of a form, refused when larger than 20 MB or of another kind, with a
    message saying how to fix it (a form's `clean_file` returns this)."""
    if upload.size > UPLOAD_MAX_BYTES:
        raise forms.ValidationError("The file is larger than 20 MB; split it into smaller files")
    if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
        raise forms.ValidationError("The file must be a CSV or XLSX file")
    return upload
