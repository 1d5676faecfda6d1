"""Every API write runs in one transaction, and may be made safe to retry with an `Idempotency-Key`.

Two wrappers that `install(api)` puts around every operation of the API (spiral/api.py):

- `atomic_writes` (around the whole operation, response included): a POST, PUT, PATCH or DELETE runs in
  one transaction, and an answer of 500 or more rolls it back, so a write either answers with what it did
  or leaves nothing behind (a response that fails to serialise after the service ran cannot commit).
- `check_idempotency_key` (after authentication and validation, before the handler): with an
  `Idempotency-Key` header (IETF draft "The Idempotency-Key HTTP Header Field"), the first successful
  answer is stored for `LIFETIME`, per person, key, method and path. A retry with the same key and body
  gets the stored answer again (with `Idempotent-Replayed: true`) and writes nothing; the same key with a
  different body gets 422. Failed answers are not stored: a failed write wrote nothing, so a retry may
  run again. The stored answer is written in the write's own transaction, so two concurrent requests with
  one key cannot both commit: the second is rolled back and gets the first one's answer.

Requests without a signed-in person (the public feedback answer) are not stored: there is no one to
scope the key to.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from spiral.core.models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
LIFETIME = dt.timedelta(hours=24)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255


def _error(status: int, detail: str, field: str = HEADER) -> HttpResponse:
    return JsonResponse({"detail": detail, "errors": [{"field": field, "message": detail}]}, status=status)


def parse_key(raw: str) -> str | None:
    """The key from the header: a Structured Field string (`"..."`) as the draft says, or a bare token as
    most clients send; printable ASCII, 1 to 255 characters. None when it is not a usable key."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " < c <= "~" for c in key):
        return None
    return key


def _fingerprint(request: HttpRequest) -> str:
    return hashlib.sha256(request.body).hexdigest()


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(stored.body, status=stored.status, content_type=stored.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def _answer_for(stored: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if stored.fingerprint != fingerprint:
        return _error(
            422,
            "This Idempotency-Key was used for a different request (another body) in the last 24 hours; "
            "use a new key for a new request.",
        )
    return _replay(stored)


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "auth", None)
    return user if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) else None


def check_idempotency_key(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Before a write's handler: answer a retry from the store (or refuse a reused key)."""

    @functools.wraps(view_func)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        raw = request.headers.get(HEADER)
        if request.method not in WRITE_METHODS or raw is None or _user(request) is None:
            return view_func(request, *args, **kwargs)
        key = parse_key(raw)
        if key is None:
            return _error(
                400,
                f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters "
                '(for example a UUID, sent as "8e03978e-40d5-43e8-bc93-6894a57f9324").',
            )
        fingerprint = _fingerprint(request)
        scope = {"user": _user(request), "key": key, "method": request.method, "path": request.path}
        stored = IdempotencyKey.objects.filter(created_at__gte=timezone.now() - LIFETIME, **scope).first()
        if stored is not None:
            return _answer_for(stored, fingerprint)
        request._idempotency = (scope, fingerprint)  # type: ignore[attr-defined]
        return view_func(request, *args, **kwargs)

    return wrapped


def _store(request: HttpRequest, response: HttpResponse) -> HttpResponse | None:
    """Keep a successful answer; None, or the answer to give instead if another request won the key."""
    scope, fingerprint = request._idempotency  # type: ignore[attr-defined]
    now = timezone.now()
    # Only expired rows: deleting a live one of the same scope could drop a concurrent winner's.
    IdempotencyKey.objects.filter(created_at__lt=now - LIFETIME).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                **scope,
                fingerprint=fingerprint,
                status=response.status_code,
                content_type=response.get("Content-Type", "application/json"),
                body=response.content.decode("utf-8"),
                created_at=now,
            )
    except IntegrityError:
        # A concurrent request with the same key committed first: undo this one, give its answer (read
        # before marking the rollback: a transaction marked so refuses further queries).
        stored = IdempotencyKey.objects.filter(**scope).first()
        transaction.set_rollback(True)
        if stored is None:  # pragma: no cover - the winner's row is committed before we can fail
            return _error(409, "Another request with this Idempotency-Key is being processed; retry.")
        return _answer_for(stored, fingerprint)
    return None


def atomic_writes(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Around a whole operation: a write is one transaction, rolled back when it answers 500 or more."""

    @functools.wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in WRITE_METHODS:
            return run(request, *args, **kwargs)
        with transaction.atomic():
            response = run(request, *args, **kwargs)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                logger.warning("api.write_rolled_back path=%s status=%s", request.path, response.status_code)
            elif getattr(request, "_idempotency", None) is not None and 200 <= response.status_code < 300:
                response = _store(request, response) or response
        return response

    return wrapped


def install(api: Any) -> None:
    """Wrap every operation of `api` (a NinjaAPI) in both."""
    api.add_decorator(atomic_writes, mode="view")
    api.add_decorator(check_idempotency_key, mode="operation")
