"""The Jinja2 environment: our templates first, then the NHS.UK components from nhsuk-frontend-jinja."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.templatetags.static import static
from django.urls import reverse
from django.utils.formats import date_format
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader


def _template_dirs() -> list[str]:
    """Every app's jinja2/ folder (APP_DIRS does not apply once we pass our own loader)."""
    base = Path(settings.BASE_DIR)
    dirs = [base / "jinja2"]
    dirs += sorted(p for p in base.glob("*/jinja2") if p.is_dir() and p != base / "jinja2")
    return [str(d) for d in dirs]


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def fmt_date(value: Any, fmt: str = "j F Y") -> str:
    return date_format(value, fmt) if value else ""


def fmt_number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def get_messages(request: Any) -> list[Any]:
    return list(messages.get_messages(request))


class TemplateSettings:
    """The few settings templates may read (`settings.NHS_FONT`), read when used: not the whole module,
    which holds secrets, and not a copy taken at start-up, which a test's override would not reach."""

    NAMES = frozenset({"DEMO_MODE", "DEBUG", "NHS_FONT"})

    def __getattr__(self, name: str) -> Any:
        if name not in self.NAMES:
            raise AttributeError(name)
        return getattr(settings, name)


def environment(**options: Any) -> Environment:
    options.pop("loader", None)
    options["undefined"] = ChainableUndefined
    options.pop("autoescape", None)
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(_template_dirs()), PackageLoader("nhsuk_frontend_jinja")]),
        extensions=["jinja2.ext.do"],
        autoescape=True,
        **options,
    )
    from spiral.core.notifications import unread_count
    from spiral.core.screening import flagged_words
    from spiral.organisations import permissions  # the templates ask the one permission module

    env.globals.update(
        url=url,
        static=static,
        can=permissions.can,
        P=permissions.Permission,
        get_messages=get_messages,
        unread_notifications=unread_count,  # the header's count: one indexed COUNT, none when signed out
        settings=TemplateSettings(),
    )
    # `flagged`: what screening removed or held, in words ("An NHS number was removed."), never identifiers.
    env.filters.update(date=fmt_date, number=fmt_number, flagged=flagged_words)
    return env
