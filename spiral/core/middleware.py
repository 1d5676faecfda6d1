"""Site-wide request handling: sign-in required for pages (the API answers 401 itself), NUL characters
refused, no caching of personal answers, and the session's idle and absolute time limits."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

OPEN_PREFIXES = ("/sign-in/", "/static/", "/assets/", "/api/", "/healthz", "/favicon.ico", "/f/")


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(OPEN_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


class RejectNullCharactersMiddleware:
    """Refuse a NUL character in the address, the query or a JSON body with 400, before it reaches a query.

    PostgreSQL cannot store or compare text holding NUL (it raises, which would be a server error);
    SQLite can. Refusing at the door keeps both databases answering alike.
    """

    MESSAGE = "The request holds a NUL character (\\x00), which Spiral does not accept; remove it."

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        in_query = any("\x00" in key or "\x00" in value for key, value in request.GET.items())
        try:
            in_json = request.content_type == "application/json" and b"\\u0000" in request.body
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            message = f"The request body is larger than {limit} MB; send the data in smaller parts."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "errors": []}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        if "\x00" in request.path or in_query or in_json:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": self.MESSAGE, "errors": []}, status=400)
            return HttpResponse(self.MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer of the site and the API (static files are served before).

    Pages for a signed-in person and API answers carry personal data, and a public form carries a CSRF
    token: none may be kept by a shared cache or in the browser's history cache. A view that set its own
    caching keeps it only when nobody is signed in and it is not the API.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        personal = request.path.startswith("/api/") or bool(user and user.is_authenticated)
        if personal or not response.has_header("Cache-Control"):
            if response.has_header("Cache-Control"):
                del response["Cache-Control"]
            add_never_cache_headers(response)
        return response


class SessionTimeoutMiddleware:
    """Sign a person out after SESSION_IDLE_TIMEOUT seconds without a request, and SESSION_COOKIE_AGE
    seconds after they signed in, whatever they did since.

    Django's own expiry moves forward whenever the session is saved, so alone it is neither an idle
    timeout nor an absolute one: the two times are kept in the session and checked here. The time of
    the last request is written at most once a minute, not on every request.
    """

    SIGNED_IN_AT = "spiral_signed_in_at"
    SEEN_AT = "spiral_seen_at"
    WRITE_EVERY = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = int(time.time())
        if request.user.is_authenticated:
            reason = self._expired(request, now)
            if reason:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, reason)
        response = self.get_response(request)
        # After the request too: the sign-in view has just signed the person in.
        if request.user.is_authenticated and hasattr(request, "session"):
            session = request.session
            if self.SIGNED_IN_AT not in session:
                session[self.SIGNED_IN_AT] = now
                session[self.SEEN_AT] = now
            elif now - session.get(self.SEEN_AT, 0) >= self.WRITE_EVERY:
                session[self.SEEN_AT] = now
        return response

    def _expired(self, request: HttpRequest, now: int) -> str | None:
        session = request.session
        signed_in_at = session.get(self.SIGNED_IN_AT)
        seen_at = session.get(self.SEEN_AT)
        if signed_in_at is None or seen_at is None:
            return None  # signed in before this middleware: timed from now on
        if now - signed_in_at >= settings.SESSION_COOKIE_AGE:
            return (
                f"You were signed out because you signed in more than {_duration(settings.SESSION_COOKIE_AGE)} "
                "ago. Sign in again to carry on."
            )
        if now - seen_at >= settings.SESSION_IDLE_TIMEOUT:
            return (
                f"You were signed out after {_duration(settings.SESSION_IDLE_TIMEOUT)} without activity. "
                "Sign in again to carry on; anything you had not saved was not kept."
            )
        return None


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute" + ("s" if minutes != 1 else "")
