"""The browser tests are transactional (a live server in another thread reads what they write), and a
transactional test empties every table when it ends, the rows the data migrations wrote included: the
default progress scale, which starting a project needs, and the Sustainability Model instrument, which
the demo's assessments need, are put back before each. `browser_page` is a Chromium page
(tests/e2e/browser.py) with the NHS font host refused at once."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _rows_of_the_data_migrations(transactional_db: object) -> None:
    from django.apps import apps

    from spiral.projects.models import ProgressScale

    if not ProgressScale.objects.filter(is_default=True).exists():
        seed = importlib.import_module("spiral.projects.migrations.0002_progress_scale_ihi")
        seed.add_ihi_scale(apps, None)
    from spiral.assessments.models import Instrument

    if not Instrument.objects.exists():
        importlib.import_module("spiral.assessments.migrations.0002_load_sustainability_model").load(
            apps, None
        )


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from tests.e2e.browser import chromium_page

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page() as page:
        # Offline: the NHS font host is unreachable; fail its requests at once instead of waiting.
        page.route("https://assets.nhs.uk/**", lambda route: route.abort())
        yield page
