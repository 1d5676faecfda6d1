"""Pages kept per person and per data generation, so a page people open again and again is not built again.

A page that reads much (a unit's measures with their SPC icons and peer comparison, a project, a search)
is rendered once for a person and kept in the `pages` cache under a key made of

* the **data generation**: a counter in `core.DataGeneration`, raised after every transaction that
  wrote to Spiral's tables (watched at the database connection: every INSERT, UPDATE or DELETE that
  passes through Django, raw SQL included, except the tables in `IGNORED_TABLES`, which hold sessions,
  caches, sign-in attempts and the counter itself). Any change to data, a role or a name starts a new
  generation, and no page kept under an older one is shown again;
* the person (their id: a page only ever goes back to the person it was rendered for, so it never shows
  what they may not see), the address with its query, and today's date (pages say "3 days ago").

It is kept for `SPIRAL_PAGE_CACHE_SECONDS` (60 by default) at most. A page is neither kept nor read
from the cache when the request's own connection has written something not yet committed (so a person
always sees their own change, and tests, which run inside one transaction, see exactly what they
wrote), when messages wait to be shown, or for anything but a GET that answered 200 with HTML.

The per-request parts of a page are not kept: the CSP nonce and the CSRF tokens are replaced by
placeholders when it is stored and filled in with the new request's own when it is served.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import zlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from spiral.core import db

# Writes to these tables do not change what a page shows.
IGNORED_TABLES = frozenset(
    {
        "core_datageneration",
        "spiral_cache",
        "spiral_page_cache",
        "django_session",
        "axes_accessattempt",
        "axes_accesslog",
        "axes_accessfailurelog",
        "core_idempotencykey",
        "measurement_stagedobservation",
    }
)
# Writes to these tables change figures (a funnel plot, a roll-up): they also raise the *figures*
# generation (row 2 of the same table), which caches of figures are keyed on, so that they outlive writes
# that cannot change them (a job's progress, a project's notes). A write to a table not recognised raises both.
FIGURE_TABLES = frozenset(
    {"measurement_observation", "measurement_series", "measurement_measure", "organisations_unit"}
)
PAGES, FIGURES = 1, 2  # the rows of core_datageneration
_WRITE = re.compile(
    r"""\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+["`]?(\w+)""",
    re.IGNORECASE,
)
_OTHER_WRITE = re.compile(r"\s*(?:TRUNCATE|WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b)", re.I | re.S)
_NONCE = "__spiral_csp_nonce__"
_CSRF = "__spiral_csrf_token__"
_CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


# ------------------------------------------------------------------------------------------------
# The data generation


def _table_written(sql: str) -> str | None:
    """The table a statement writes to ("" for a write whose table is not read here), or None."""
    found = _WRITE.match(sql)
    if found:
        return found.group(1).lower()
    return "" if _OTHER_WRITE.match(sql) else None


def _bumper(alias: str, row: int = PAGES) -> Callable[[], None]:
    return _BUMPERS.setdefault((alias, row), functools.partial(bump, alias, row))


_BUMPERS: dict[tuple[str, int], Callable[[], None]] = {}


def watch_writes(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """A database execute wrapper: after a statement that wrote to a watched table, raise the generation
    once its transaction commits (at once outside a transaction)."""
    result = execute(sql, params, many, context)
    table = _table_written(sql) if isinstance(sql, str) else None
    if table is None or table in IGNORED_TABLES:
        return result
    connection = context["connection"]
    db.note_write(connection.alias)
    rows = (PAGES, FIGURES) if table in FIGURE_TABLES or table == "" else (PAGES,)
    for row in rows:
        bumper = _bumper(connection.alias, row)
        if connection.in_atomic_block:
            if not any(func is bumper for _sids, func, _robust in connection.run_on_commit):
                transaction.on_commit(bumper, using=connection.alias)
        else:
            bumper()
    return result


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: watch the new connection's writes."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def _table() -> str:
    from spiral.core.models import DataGeneration

    return DataGeneration._meta.db_table


def bump(alias: str = DEFAULT_DB_ALIAS, row: int = PAGES) -> None:
    """Start a new data generation (after a write has committed: never inside a transaction)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(f"UPDATE {_table()} SET n = n + 1 WHERE id = %s", [row])  # noqa: S608
            if cursor.rowcount == 0:
                _create(cursor, row)
    except DatabaseError:
        # Only while migrating a new database, before core's table exists: no page has been kept yet.
        if _table() in connections[alias].introspection.table_names():
            raise


def _create(cursor: Any, row: int = PAGES) -> None:
    # A new token each time the row is made again (a flushed test database), so that pages kept under
    # a generation of the old row are never taken for the new one's.
    cursor.execute(
        f"INSERT INTO {_table()} (id, n, token) VALUES (%s, 1, %s)",  # noqa: S608
        [row, secrets.token_hex(8)],
    )


def generation(alias: str = DEFAULT_DB_ALIAS, row: int = PAGES) -> str:
    """The current data generation (row PAGES: any write; FIGURES: writes to FIGURE_TABLES), as text
    for a cache key."""
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT n, token FROM {_table()} WHERE id = %s", [row])  # noqa: S608
        found = cursor.fetchone()
        if found is None:
            _create(cursor, row)
            cursor.execute(f"SELECT n, token FROM {_table()} WHERE id = %s", [row])  # noqa: S608
            found = cursor.fetchone()
    return f"{found[1]}.{found[0]}"


def has_unsaved_writes(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this connection wrote in a transaction that has not committed yet."""
    connection = connections[alias]
    bumper = _bumper(alias, PAGES)
    # django-stubs types run_on_commit as pairs; Django 5 keeps (savepoint ids, function, robust).
    return connection.in_atomic_block and any(f is bumper for _s, f, _r in connection.run_on_commit)  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------
# Pages


def enabled() -> bool:
    return bool(getattr(settings, "SPIRAL_PAGE_CACHE_SECONDS", 0))


def _messages_waiting(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    if storage is None:
        return False
    if getattr(storage, "_queued_messages", None):
        return True
    if "messages" in request.COOKIES:
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.get("_messages"))


def page_key(request: HttpRequest, gen: str) -> str:
    user = getattr(request, "user", None)
    who = user.pk if user is not None and user.is_authenticated else 0
    parts = [gen, str(who), timezone.localdate().isoformat(), request.get_full_path()]
    return "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _store(request: HttpRequest, response: HttpResponse) -> bytes:
    html = response.content.decode(response.charset)
    nonce = getattr(request, "_csp_nonce", None) or ""
    if nonce:
        html = html.replace(nonce, _NONCE)
    html = _CSRF_VALUE.sub(lambda m: m.group(1) + _CSRF + m.group(2), html)
    return zlib.compress(html.encode(), 3)


def _serve(request: HttpRequest, stored: bytes, content_type: str) -> HttpResponse:
    html = zlib.decompress(stored).decode()
    if _NONCE in html:
        html = html.replace(_NONCE, str(request.csp_nonce))  # type: ignore[attr-defined]  # django-csp's
    if _CSRF in html:
        html = html.replace(_CSRF, get_token(request))
    response = HttpResponse(html, content_type=content_type)
    response["X-Spiral-Page-Cache"] = "hit"
    return response


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Keep the view's page per person and data generation (see the module's docstring)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "GET" or not enabled() or has_unsaved_writes() or _messages_waiting(request):
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        key = page_key(request, generation())
        hit = pages.get(key)
        if hit is not None:
            return _serve(request, *hit)
        response = view(request, *args, **kwargs)
        content_type = response.get("Content-Type", "")
        if (
            response.status_code == 200
            and not response.streaming
            and content_type.startswith("text/html")
            and not has_unsaved_writes()
            and not _messages_waiting(request)
        ):
            pages.set(key, (_store(request, response), content_type), settings.SPIRAL_PAGE_CACHE_SECONDS)
        return response

    return wrapper
