from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A page in our own style when a form is stale (e.g. signed out in another tab)."""
    return render(request, "errors/403_csrf.jinja", {"reason": reason}, status=403)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


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
