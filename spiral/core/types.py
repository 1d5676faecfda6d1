"""The types of the person acting, for annotations across Spiral (checked by mypy, `make lint`).

`AnyUser` is whoever a reader may be asked about: a signed-in person or an anonymous visitor (queries
and permissions answer "nothing" for the latter). A write names its actor as `User`: only a signed-in
person acts. `SignedInRequest` is a request that has passed the sign-in wall (LoginRequiredMiddleware
for pages, django-ninja's auth for the API), so its `user` and `auth` are that person.

`spiral.core` imports no app at run time: the user model is imported for the type checker only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from spiral.organisations.models import User

AnyUser: TypeAlias = "User | AnonymousUser"


class SignedInRequest(HttpRequest):
    """An HttpRequest from a signed-in person (for annotations only: Django builds the real one)."""

    user: User  # never an AnonymousUser past the sign-in wall
    auth: User  # set by django-ninja once an authenticator accepts the request


__all__ = ["AnyUser", "SignedInRequest"]
