"""The README's "Deploying" steps, run for real: production settings, migrate, collectstatic, the deployment
checks, then gunicorn serving a signed-in page and its stylesheet over (proxied) HTTPS.

Everything runs in other processes, as an operator would run it, against a database of its own.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.core.scratch_db import ROOT, child_env, run_spiral, scratch_database_url

EMAIL = "deploy@example.nhs.uk"
PROCFILE = dict(
    line.split(": ", 1)
    for line in (ROOT / "deploy" / "Procfile").read_text().splitlines()
    if line and not line.startswith("#")
)
PASSWORD = secrets.token_urlsafe(16)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """A client for the gunicorn server, as the HTTPS load balancer in front of it would forward requests.

    The cookies are Secure, so a client on plain http:// would never send them back: this keeps them by
    hand, as a browser on the https:// side of the proxy does.
    """

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=90, **kwargs
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def get(self, path: str) -> requests.Response:
        return self.request("GET", path)


@contextmanager
def deployment(
    data_dir: Path, *, web_concurrency: int = 1
) -> Iterator[tuple[Site, dict[str, str], dict[str, str]]]:
    """deploy/Procfile's `release` then `web` lines with production settings against a database of its
    own: yields the site, each step's output and the environment the processes run with."""
    with scratch_database_url(data_dir) as database_url:
        env = child_env(
            data_dir,
            database_url,
            {
                "SPIRAL_ENV": "production",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SPIRAL_BEHIND_PROXY": "true",
                "DJANGO_SUPERUSER_EMAIL": EMAIL,
                "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
                "DJANGO_SUPERUSER_DISPLAY_NAME": "Deploy Check",
            },
        )
        env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
        # deploy/Procfile's lines, as a process manager runs them.
        release = subprocess.run(  # noqa: S603 - the Procfile's own line
            ["/bin/sh", "-c", PROCFILE["release"]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert release.returncode == 0, release.stdout + release.stderr
        steps = {"release": release}
        run_spiral(["createsuperuser", "--no-input"], env)
        port = free_port()
        log = (data_dir / "gunicorn.log").open("w")
        server = subprocess.Popen(  # noqa: S603 - the Procfile's own line
            ["/bin/sh", "-c", "exec " + PROCFILE["web"]],
            cwd=ROOT,
            env=env | {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(web_concurrency)},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            site = Site(port)
            deadline = time.monotonic() + 90
            while True:
                try:
                    site.get("/healthz")
                    break
                except requests.ConnectionError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(
                            "gunicorn did not start:\n" + (data_dir / "gunicorn.log").read_text()
                        ) from None
                    time.sleep(0.2)
            yield site, {name: result.stdout + result.stderr for name, result in steps.items()}, env
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            log.close()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, dict[str, str]]]:
    with deployment(tmp_path_factory.mktemp("deploy")) as (site, steps, _):
        yield site, steps


def sign_in(site: Site) -> requests.Response:
    form = site.get("/sign-in/")
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return site.request(
        "POST",
        "/sign-in/",
        data={"csrfmiddlewaretoken": token, "username": EMAIL, "password": PASSWORD},
        headers={"Origin": site.origin, "Referer": site.origin + "/sign-in/"},
    )


def test_the_documented_deploy_steps_succeed_and_the_deployment_checks_are_clean(deployed):
    _, output = deployed
    assert "static files copied" in output["release"]
    assert "System check identified no issues" in output["release"]


def test_the_health_check_answers_ok_once_deployed(deployed):
    site, _ = deployed
    response = site.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


def test_plain_http_from_the_proxy_is_redirected_to_https(deployed):
    site, _ = deployed
    response = requests.get(site.base + "/sign-in/", allow_redirects=False, timeout=30)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_gunicorn_serves_a_signed_in_page_with_its_stylesheet(deployed):
    site, _ = deployed
    signed_in = sign_in(site)
    assert signed_in.status_code == 302, signed_in.text[:2000]
    assert "sessionid" in site.cookies

    home = site.get("/")
    assert home.status_code == 200
    assert "Sign out" in home.text
    assert "no-store" in home.headers["Cache-Control"]
    assert home.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]

    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', home.text)
    nhsuk = [href for href in stylesheets if "nhsuk-frontend" in href]
    # The manifest's hashed name, so a new release never meets a stale cached copy.
    assert nhsuk and re.search(r"nhsuk-frontend\.min\.[0-9a-f]{12}\.css$", nhsuk[0]), stylesheets
    for href in stylesheets:
        css = site.get(href)
        assert css.status_code == 200, href
        assert css.headers["Content-Type"].startswith("text/css"), href
        assert "immutable" in css.headers["Cache-Control"]
    icons = re.findall(r"url\((/assets/images/[^)]+)\)", site.get(nhsuk[0]).text)
    assert icons
    assert site.get(icons[0]).status_code == 200
    for src in re.findall(r'<script type="module" src="([^"]+)"', home.text):
        script = site.get(src)
        assert script.status_code == 200, src
        assert "javascript" in script.headers["Content-Type"]
