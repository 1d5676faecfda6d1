"""By default nothing a page loads leaves the site's origin: the NHS.UK stylesheet's @font-face rules
(Frutiger from assets.nhs.uk) are split out by `make assets` and linked only with SPIRAL_NHS_FONT=1.
The browser test (tests/e2e/test_no_foreign_requests.py) records what a real page requests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from spiral.organisations.models import User
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]
FONTS = "vendor/nhsuk/nhsuk-fonts.css"
# An address with a scheme or a network path (`//host/...`): anything not on the page's own origin.
FOREIGN = re.compile(r"""(?:url\(\s*["']?|@import\s+["']?)(?:[a-z][a-z0-9+.-]*:)?//""", re.IGNORECASE)
ATTRIBUTE = re.compile(
    r"""<(?:link|script|img|source|iframe)\b[^>]*?\b(?:href|src)="((?:[a-z]+:)?//[^"]*)\""""
)


def _served_stylesheets() -> dict[str, str]:
    found = {}
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if path.endswith(".css") and path != FONTS:
                found[path] = Path(storage.path(path)).read_text(encoding="utf-8")
    return found


def test_the_nhsuk_stylesheet_is_built() -> None:
    assert finders.find("vendor/nhsuk/nhsuk-frontend.min.css"), "run `make assets` (make test does)"


def test_no_stylesheet_served_by_default_names_another_origin() -> None:
    sheets = _served_stylesheets()
    assert "vendor/nhsuk/nhsuk-frontend.min.css" in sheets and "spiral/spiral.css" in sheets
    offending = {path: FOREIGN.findall(css) for path, css in sheets.items() if FOREIGN.search(css)}
    assert offending == {}
    assert not any("@font-face" in css for css in sheets.values())  # a font rule would be fetched


def test_the_nhs_font_rules_are_kept_apart_for_deployments_that_want_them() -> None:
    path = finders.find(FONTS)
    assert path, "run `make assets` (make test does)"
    css = Path(path).read_text(encoding="utf-8")
    assert css.count("@font-face") == 2 and "https://assets.nhs.uk/fonts/" in css
    main = Path(finders.find("vendor/nhsuk/nhsuk-frontend.min.css")).read_text(encoding="utf-8")
    assert "Frutiger W01,arial,sans-serif" in main  # the fallback stack stays


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_page_links_nothing_from_another_origin_by_default(member: User, signed_in: bool) -> None:
    response = client_for(member if signed_in else None).get("/" if signed_in else "/sign-in/")
    html = response.content.decode()
    assert response.status_code == 200
    assert ATTRIBUTE.findall(html) == []
    assert "nhsuk-fonts" not in html
    assert not FOREIGN.search(html)  # no inline style or preload either


def test_the_csp_lets_fonts_come_only_from_the_site_by_default(member: User) -> None:
    csp = client_for(member).get("/")["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["font-src"] == ["'self'"]
    assert not any("nhs.uk" in v for values in directives.values() for v in values)


def test_a_deployment_that_allows_the_nhs_font_links_it(member: User, settings: object) -> None:
    settings.NHS_FONT = True  # type: ignore[attr-defined]
    html = client_for(member).get("/").content.decode()
    assert re.search(r'<link rel="stylesheet" href="/static/vendor/nhsuk/nhsuk-fonts[^"]*\.css">', html)


def test_spiral_nhs_font_opens_the_csp_to_the_nhs_font_host() -> None:
    code = "import django; django.setup(); from django.conf import settings; " + (
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['font-src'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "SPIRAL_NHS_FONT"}
    env["DJANGO_SETTINGS_MODULE"] = "spiral.settings"
    off = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    on = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"SPIRAL_NHS_FONT": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert off.returncode == 0 and on.returncode == 0, off.stderr + on.stderr
    assert "assets.nhs.uk" not in off.stdout
    assert "https://assets.nhs.uk" in on.stdout
