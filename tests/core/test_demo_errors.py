"""The demo answers a missing page with Spiral's own page, not Django's debug page that lists every URL
pattern: `spiral demo` runs with DEBUG off unless DEBUG says otherwise, static files still served.

A fresh Python process each, because settings are read once per process (as tests/core/test_settings.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Through the whole middleware stack with Django's test client, in a process with the demo's settings.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
call_command("migrate", interactive=False, verbosity=0)
from spiral.organisations.models import User
client = Client(raise_request_exception=False)
client.force_login(User.objects.create_user("visitor@example.nhs.uk", "correct horse battery"))
out = {"debug": settings.DEBUG}
for path in ("/no-such-page/", "/projects/999999/", "/static/vendor/nhsuk/nhsuk-frontend.min.css",
             "/assets/images/favicon.ico"):
    r = client.get(path)
    body = b"".join(r.streaming_content) if r.streaming else r.content
    out[path] = [r.status_code, body.decode("utf-8", "replace")[:20000]]
print(json.dumps(out))
"""


def _probe(tmp_path: Path, **env: str) -> dict[str, object]:
    base = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SPIRAL_DEMO", "DATABASE_URL", "SPIRAL_ENV"}
    }
    base |= {"SPIRAL_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "spiral.settings"} | env
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_missing_page_in_the_demo_shows_spirals_page_and_no_url_patterns(tmp_path: Path) -> None:
    found = _probe(tmp_path, SPIRAL_DEMO="1")
    assert found["debug"] is False
    for path in ("/no-such-page/", "/projects/999999/"):
        status, html = found[path]
        assert status == 404
        assert "<h1>Page not found</h1>" in html and "Go to the home page" in html
        assert "URLconf" not in html and "Using the URLconf" not in html and "urlpatterns" not in html
        assert "sign-in/" not in html.split("<main", 1)[-1]  # no list of addresses in the page body
    # Static files are still served (by WhiteNoise from the source folders), the NHS.UK assets too.
    assert found["/static/vendor/nhsuk/nhsuk-frontend.min.css"][0] == 200
    assert found["/assets/images/favicon.ico"][0] == 200


def test_debug_set_by_hand_still_turns_the_debug_page_on_in_the_demo(tmp_path: Path) -> None:
    found = _probe(tmp_path, SPIRAL_DEMO="1", DEBUG="1")
    assert found["debug"] is True
    status, html = found["/no-such-page/"]
    assert status == 404 and "URLconf" in html
