from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A page in our own style when a form is stale (e.g. signed out in another tab)."""
    return render(request, "errors/403_csrf.jinja", {"reason": reason}, status=403)


_migrations_applied = False  # once seen complete, stays so for this process (migrations only move forward)


def _check_database() -> str | None:
    global _migrations_applied
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if not _migrations_applied:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "the database has migrations not yet applied; run `spiral migrate`"
        _migrations_applied = True
    return None


def _check_cache() -> str | None:
    # Sign-in lock-outs and rate limits live in the cache: without it, signing in fails.
    cache.get("spiral:healthz")
    return None


def _check_pages() -> str | None:
    # A real page through the site layout: its static() calls fail when `collectstatic` has not run
    # (or failed) in production, which is exactly when every page answers 500.
    try:
        render_to_string("errors/404.jinja", {})
    except ValueError as exc:
        if "manifest" not in str(exc):
            raise
        return "a static file is missing from the manifest; run `spiral collectstatic --no-input`"
    return None


HEALTH_CHECKS = {"database": _check_database, "cache": _check_cache, "pages": _check_pages}


def healthz(request: HttpRequest) -> HttpResponse:
    """200 "ok" when the database answers and is migrated, the cache answers and pages render; else 503.

    A load balancer takes an instance out of service on 503, so this must fail whenever pages would.
    """
    problems = []
    for name, check in HEALTH_CHECKS.items():
        try:
            problem = check()
        except Exception as exc:
            # Logged with its traceback for the operator; the answer names the check and the error class only.
            logger.exception("health check failed: check=%s", name)
            problem = f"{type(exc).__name__}"
        if problem:
            problems.append(f"{name}: {problem}")
    if problems:
        response = HttpResponse(
            "unhealthy\n" + "\n".join(problems) + "\n", status=503, content_type="text/plain; charset=utf-8"
        )
    else:
        response = HttpResponse("ok", content_type="text/plain; charset=utf-8")
    add_never_cache_headers(response)
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.jinja", {"message": str(exception or "")}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        # An address the API does not have: answer in the API's error shape, not with a page.
        return JsonResponse(
            {"detail": f"The API has no address {request.path}; see /api/v1/docs", "errors": []}, status=404
        )
    return render(request, "errors/404.jinja", {}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context, no database: the page must render whatever broke.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.jinja").render({}), status=500)
