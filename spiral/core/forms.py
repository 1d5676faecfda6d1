"""Helpers for forms rendered with the NHS.UK components (see core/jinja2/core/forms.jinja)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


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
