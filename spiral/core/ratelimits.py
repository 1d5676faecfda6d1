"""Refusing too many requests truthfully: say when the limit lifts and send `Retry-After` on every 429.

Rate limits are django-ratelimit's fixed windows (`limit`); sign-in lock-outs are django-axes'
(`locked_out`, its AXES_LOCKOUT_CALLABLE). Both answer 429 with the time the refusal lifts, in words and
as a `Retry-After` header (seconds, RFC 9110 §10.2.3).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage
from ninja.errors import Throttled


@dataclass(frozen=True)
class Limited:
    """A refusal that lifts after `retry_after` seconds."""

    retry_after: int

    @property
    def lifts_at(self) -> dt.datetime:
        return timezone.now() + dt.timedelta(seconds=self.retry_after)

    @property
    def when(self) -> str:
        """When it lifts, in words: 'in 37 minutes (at 14:05)'."""
        return when_phrase(self.retry_after)


def when_phrase(seconds: float) -> str:
    """'in 37 minutes (at 14:05)', 'in 1 minute (at 14:05)', 'in 1 hour 5 minutes (at 15:10)'."""
    seconds = max(1, math.ceil(seconds))
    minutes = math.ceil(seconds / 60)
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    at = timezone.localtime(timezone.now() + dt.timedelta(seconds=seconds))
    return f"in {' '.join(parts)} (at {at:%H:%M})"


# Where no address can be read (a Unix socket without a proxy header), every such request shares one count:
# refusing too many is safer than not counting them, and far better than a server error.
UNKNOWN_CLIENT = "0.0.0.0"  # noqa: S104 - a rate-limit key, not an address to listen on


def client_ip(request: HttpRequest) -> str:
    """The client's address for rate limits (django-ratelimit's RATELIMIT_IP_META_KEY).

    Behind the one trusted proxy (SPIRAL_BEHIND_PROXY) it is the last entry of X-Forwarded-For, the one the
    proxy itself appended (earlier entries are whatever the client sent, so cannot be trusted); otherwise
    REMOTE_ADDR. Anything that is not an IP address counts as UNKNOWN_CLIENT.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SPIRAL_BEHIND_PROXY", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        candidate = next((part for part in reversed(forwarded) if part), candidate)
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return UNKNOWN_CLIENT


def limit(request: HttpRequest, *, group: str, key: str, rate: str, increment: bool = True) -> Limited | None:
    """Count this request against `rate` (e.g. "20/h"); a `Limited` if it is over, else None."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    if usage is None or not usage["should_limit"]:
        return None
    return Limited(retry_after=max(1, math.ceil(usage["time_left"])))


class RateLimited(Throttled):
    """An API refusal over a rate limit: 429, the detail saying when it lifts, and `Retry-After`."""

    def __init__(self, wait: float, message: str = "Too many requests") -> None:
        super().__init__(wait=max(1, math.ceil(wait)))
        self.message = message


def too_many_detail(message: str, wait: float) -> str:
    """The API's 429 detail: '<message>: try again in 37 minutes (at 14:05).'"""
    return f"{message.rstrip('.')}: try again {when_phrase(wait)}."


def with_retry_after(response: HttpResponse, seconds: float) -> HttpResponse:
    """Set `Retry-After` (whole seconds, at least 1) on a 429."""
    response["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' lock-out answer: what to do, when it lifts, and `Retry-After`.

    With AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT (axes' default) every refused attempt starts the
    cool-off again, so the lock lifts one cool-off after this attempt.
    """
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request) or dt.timedelta(minutes=15)
    started = getattr(request, "axes_attempt_time", None) or timezone.now()
    seconds = max(1, math.ceil((started + cool_off - timezone.now()).total_seconds()))
    context = {
        "page_title": "Too many attempts",
        "failure_limit": get_failure_limit(request, credentials),
        "cool_off_minutes": math.ceil(cool_off.total_seconds() / 60),
        "when": when_phrase(seconds),
    }
    response = render(request, "registration/locked.jinja", context, status=429)
    return with_retry_after(response, seconds)
