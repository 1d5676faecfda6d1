"""Anonymous visitors see only the sign-in page (and static files); the API answers 401 itself."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

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
