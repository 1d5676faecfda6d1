"""Which database a query goes to: the primary, or one of the read replicas.

With `DATABASE_REPLICA_URLS` set (PostgreSQL streaming replicas of `DATABASE_URL`), the settings add
the aliases `replica_1`, `replica_2`, ... and `ReplicaRouter` sends reads there, but only

* inside a view marked `@replica_reads` (read-only roll-ups, catalogue search, exports: pages whose
  answer may be a moment old), or a block under `reading_from_replica()`;
* while the request has written nothing: after the first write of a request every read goes to the
  primary, so a page that writes and then reads sees its own write;
* and while the person has not written in the last `SPIRAL_REPLICA_STICKY_SECONDS` (30 by default,
  longer than a healthy replica lags): a person who saved something and opens a search or an export
  straight after reads from the primary, so their change never seems to disappear.

Everything else — sign-in, sessions, permission checks in views not marked, every write and every
transaction — stays on the primary. Without replicas the router sends everything to the primary and
costs one context-variable lookup per query.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA_PREFIX = "replica_"
_PRIMARY_ONLY = frozenset({"django_cache", "sessions", "axes", "core"})
_replica_ok: ContextVar[bool] = ContextVar("spiral_replica_ok", default=False)
# Whether this request (or command) has written: from then on it reads from the primary.
_wrote: ContextVar[bool] = ContextVar("spiral_wrote", default=False)
# The request being answered, to ask whether its person wrote a moment ago (lazily: only a read that
# could go to a replica asks, so requests that never could pay nothing).
_request: ContextVar[HttpRequest | None] = ContextVar("spiral_request", default=None)


def replica_aliases() -> list[str]:
    """The aliases of the configured read replicas (none by default)."""
    return [alias for alias in connections.settings if alias.startswith(REPLICA_PREFIX)]


def _sticky_key(user_id: Any) -> str:
    return f"spiral:primary-after-write:{user_id}"


def sticky_seconds() -> int:
    return int(getattr(settings, "SPIRAL_REPLICA_STICKY_SECONDS", 30))


def note_write(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Called for every statement that writes to the primary: this request now reads from it too."""
    if alias == DEFAULT_DB_ALIAS and not _wrote.get():
        _wrote.set(True)


def _person_wrote_recently() -> bool:
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is None or not user.is_authenticated:
        return False
    return bool(cache.get(_sticky_key(user.pk)))


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Let the reads in this block go to a replica (see the module's rules)."""
    token = _replica_ok.set(True)
    try:
        yield
    finally:
        _replica_ok.reset(token)


def replica_reads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view whose reads may be answered by a replica: it must not need to read its own writes."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with reading_from_replica():
            return view(request, *args, **kwargs)

    return wrapper


def choose_for_read() -> str | None:
    """The alias a read goes to now: a replica when the rules allow, otherwise None (the primary)."""
    if not _replica_ok.get() or _wrote.get():
        return None
    replicas = replica_aliases()
    if not replicas or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    if _person_wrote_recently():
        return None
    return random.choice(replicas)  # noqa: S311 - spreading load, not security


class ReplicaRouter:
    """Reads to a replica where `choose_for_read` allows; writes and migrations to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        # The database cache and sessions always on the primary (and no recursion through the cache
        # lookup of `_person_wrote_recently`).
        if getattr(getattr(model, "_meta", None), "app_label", "") in _PRIMARY_ONLY:
            return None
        return choose_for_read()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # Replicas hold the same rows as the primary: an object read from one may refer to the other's.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # A replica is migrated by replicating the primary, never directly.
        return not db.startswith(REPLICA_PREFIX)


class ReplicaMiddleware:
    """Per request: start with no write; after a request that wrote, keep its person on the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        wrote = _wrote.set(False)
        current = _request.set(request)
        try:
            response = self.get_response(request)
            if _wrote.get() and replica_aliases():
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated:
                    cache.set(_sticky_key(user.pk), 1, sticky_seconds())
            return response
        finally:
            _request.reset(current)
            _wrote.reset(wrote)
