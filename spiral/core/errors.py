"""Exceptions that services raise and every door (pages, API, imports) can tell apart."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Duplicate(ValidationError):
    """A record with this natural key (a unit's code, a measure's code, a community's name) exists.

    A `ValidationError`, so forms and imports show it beside the field as before; the API answers 409
    Conflict, so a client that retries a create learns the record is there rather than that its input is bad.
    """


__all__ = ["Duplicate"]
