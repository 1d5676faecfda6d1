"""The documented maximum length of every kind of free text, one table for forms, the API and imports.

A field takes the limit of its kind (docs/security.md, "Length limits"). The same number is the
`max_length` of the model field, of the form field and of the API schema, and imports check it, so a text
that one door accepts is accepted by every other door, and a refusal always says the limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# A name or title: a unit, a measure, a project, a person, a theme.
NAME: Final = 200
# One line or a short note: an observation's note, a reason, a comment, a keyword list.
SHORT_TEXT: Final = 2_000
# A paragraph: a project's problem and aim, a PDSA cycle's plan and study, a description, a story.
TEXT: Final = 10_000
# A long document: a resource's Markdown body, a journal entry, a community post.
LONG_TEXT: Final = 50_000
# A code (ODS codes, measure codes, topic codes): see spiral.core.codes.
CODE: Final = 64


def too_long_message(limit: int, length: int) -> str:
    """The one wording of a length refusal: what the limit is, how far over, and what to do."""
    return (
        f"This is {length:,} characters long; the limit is {limit:,}. "
        "Shorten it, or put the detail in an attachment or a linked resource."
    )


def length_errors(model: Any, values: Mapping[str, Any]) -> dict[str, str]:
    """{field: too_long_message} for each text in `values` longer than `model`'s field allows.

    The limit is the model field's `max_length` (docs/limits.md), so services and imports that do not
    go through a ModelForm refuse exactly what a ModelForm would. Fields without a limit are skipped.
    """
    errors: dict[str, str] = {}
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        field = next((f for f in model._meta.get_fields() if f.name == name), None)
        limit = getattr(field, "max_length", None)
        if limit is not None and len(value) > limit:
            errors[name] = too_long_message(limit, len(value))
    return errors


__all__ = ["CODE", "LONG_TEXT", "NAME", "SHORT_TEXT", "TEXT", "length_errors", "too_long_message"]
