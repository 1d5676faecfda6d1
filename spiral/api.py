"""The JSON API at /api/v1/: one NinjaAPI, one router per app, errors in one shape.

Errors: {"detail": "what is wrong", "errors": [{"field": "...", "message": "..."}]}.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth
from ninja.throttling import AuthRateThrottle

from spiral.core.api import BodyRefused, SpiralAPI
from spiral.core.errors import Duplicate
from spiral.core.ratelimits import too_many_detail, with_retry_after
from spiral.organisations.models import ApiToken
from spiral.organisations.services import StaleVersion

logger = logging.getLogger(__name__)


class TokenRejected(AuthenticationError):
    def __init__(self, message: str) -> None:
        super().__init__(401, message)
        self.message = message


class BearerToken(HttpBearer):
    """Personal access tokens: `Authorization: Bearer spiral_...`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token.startswith(ApiToken.PREFIX) or len(token) < 20 or len(token) > 200:
            raise TokenRejected(
                "The bearer token is malformed: Spiral tokens start with 'spiral_'. "
                "Create one on your profile page."
            )
        found = ApiToken.objects.select_related("user").filter(token_hash=ApiToken.hash(token)).first()
        if found is None or not found.is_active or not found.user.is_active:
            raise TokenRejected("The bearer token is not recognised or has been revoked.")
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


# SpiralAPI: the JSON body parser, one transaction per write, Idempotency-Key, documented errors.
api = SpiralAPI(
    title="Spiral API",
    version="1",
    description="Units, people and roles (and, as Spiral grows, measures, projects and more).",
    auth=[BearerToken(), django_auth],
    throttle=[AuthRateThrottle("600/m")],
    urls_namespace="api",
    docs_url=None,  # the interactive docs load scripts from a CDN; the schema is at /api/v1/openapi.json
)


def _error(
    request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or [], **extra}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload", "filters")]
        errors.append({"field": ".".join(loc), "message": _message(err)})
    return _error(
        request,
        422,
        "The request is not valid: "
        + "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors),
        errors,
    )


def _message(err: dict[str, Any]) -> str:
    """pydantic's message, with our own wording where its own would not say how to fix it."""
    if err.get("null") and err.get("type") != "missing":
        return "This cannot be null: send a value, or (in a PATCH) leave the field out to keep it as it is."
    if err.get("type") == "model_attributes_type":
        return "Send a JSON object ({...}) here."
    return str(err.get("msg", "invalid"))


@api.exception_handler(DjangoValidationError)
def _service_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [{"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs]
    else:
        errors = [{"field": "", "message": m} for m in exc.messages]
    return _error(
        request,
        # A duplicate of a natural key (a unit's code, a measure's code) is a conflict, not bad input.
        409 if isinstance(exc, Duplicate) else 400,
        "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors),
        errors,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    # ninja's own AuthenticationError says only "Unauthorized": say how to authenticate instead.
    if isinstance(exc, TokenRejected):
        return _error(request, 401, exc.message)
    return _error(
        request, 401, "Sign in, or send a personal access token as 'Authorization: Bearer <token>'."
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "You do not have permission to do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(StaleVersion)
def _stale(request: HttpRequest, exc: StaleVersion) -> HttpResponse:
    from spiral.organisations.api import unit_out

    return _error(
        request, 409, str(exc), [{"field": "version", "message": str(exc)}], current=unit_out(exc.current)
    )


@api.exception_handler(IntegrityError)
def _integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # A unique constraint lost to a concurrent write (the service's own check passed first): a conflict.
    # The write's transaction is rolled back (spiral.core.idempotency.atomic_writes) as for any error.
    logger.warning("api.integrity_error path=%s", request.path)
    return _error(
        request,
        409,
        "This conflicts with a record written at the same moment (a duplicate); read it and try again.",
    )


@api.exception_handler(DataError)
def _too_large_for_the_column(request: HttpRequest, exc: DataError) -> HttpResponse:
    # The last guard: a value the schema allowed but the column cannot hold (PostgreSQL refuses a text
    # longer than a varchar column, or a number out of its range; SQLite stores it). Never a 500.
    logger.warning("api.data_error path=%s", request.path)
    return _error(
        request,
        422,
        "A value is too long or too large for where it is stored; shorten it (or send a smaller number).",
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    refused = exc.__cause__
    if isinstance(refused, BodyRefused):  # ninja wraps every parser failure in a 400
        return _error(request, refused.status, refused.detail, refused.errors)
    if exc.status_code == 429:
        # Every 429 says when it lifts and sends Retry-After: ninja's throttles and our rate limits
        # (spiral.core.ratelimits.RateLimited) both carry the wait in seconds.
        wait = getattr(exc, "wait", None) or 60
        message = "Too many requests" if str(exc) == "Too many requests." else str(exc)
        response = _error(request, 429, too_many_detail(message, wait))
        return with_retry_after(response, wait)
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never a traceback (ninja's default shows one when DEBUG is on): log it, answer in our shape.
    logger.exception("api.unexpected_error path=%s", request.path)
    return _error(request, 500, "Something went wrong on the server; it has been logged. Try again later.")


api.add_router("/", "spiral.organisations.api.router")
api.add_router("/", "spiral.measurement.api.router")
api.add_router("/", "spiral.projects.api.router")
api.add_router("/", "spiral.benchmarking.api.router")
api.add_router("/", "spiral.voice.api.router")
api.add_router("/", "spiral.knowledge.api.router")
api.add_router("/", "spiral.priorities.api.router")
api.add_router("/", "spiral.assessments.api.router")
api.add_router("/", "spiral.capability.api.router")
api.add_router("/", "spiral.sustainability.api.router")
api.add_router("/", "spiral.reporting.api.router")
