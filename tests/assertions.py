"""Reusable assertions: every page and API endpoint refuses anonymous visitors and outsiders the same way."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from spiral.organisations import services
from spiral.organisations.models import User


def _send(client: Client, method: str, path: str, data: Any = None, **extra: Any) -> Any:
    if path.startswith("/api/") and method in ("post", "patch", "put"):
        return getattr(client, method)(path, json.dumps(data or {}), content_type="application/json", **extra)
    if data is None:
        return getattr(client, method)(path, **extra)
    return getattr(client, method)(path, data, **extra)


def bearer(user: User) -> dict[str, str]:
    """Headers for an API request as `user`, with a new personal access token."""
    _, raw = services.create_api_token(user=user, name="test", by=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_refuses_anonymous(path: str, method: str = "get", data: Any = None) -> None:
    """Pages send anonymous visitors to sign in (and back afterwards); the API answers 401 in JSON."""
    response = _send(Client(), method, path, data)
    if path.startswith("/api/"):
        assert response.status_code == 401, response.content
        body = response.json()
        assert body["detail"]
        assert body["errors"] == []
    else:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith("/sign-in/?next=")


def assert_refuses_outsider(path: str, user: User, method: str = "get", data: Any = None) -> None:
    """A signed-in person without the permission gets 403 (a page in our style, or a JSON error)."""
    if path.startswith("/api/"):
        response = _send(Client(), method, path, data, **bearer(user))
        assert response.status_code == 403, response.content
        assert "permission" in response.json()["detail"]
    else:
        client = Client()
        client.force_login(user)
        response = _send(client, method, path, data)
        assert response.status_code == 403, response.status_code
        assert "permission" in response.content.decode()
