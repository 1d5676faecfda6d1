"""Benchmark: requests a second and latency of the main pages under load, gunicorn on PostgreSQL.

    .venv/bin/python bench/load.py [--seconds 10] [--connections 8] [--workers 2] [--reuse]

1. Loads the medium demo (`spiral demo --size medium --no-serve --no-embeddings`) into a database
   `bench_load` on DATABASE_URL's server (default 127.0.0.1:5432), dropped and created first; the
   database DATABASE_URL names is never touched. `--reuse` keeps a `bench_load` loaded by an earlier run.
2. Starts gunicorn as in production (`SPIRAL_ENV=production`, DEBUG off, a random SECRET_KEY, sync
   workers, no access log; TLS is the proxy's job, so SECURE_SSL_REDIRECT=0), signs in through the
   sign-in form as lead@example.com (an improvement lead of an organisation), and runs `wrk` (Debian:
   `apt-get install -y wrk`) against each page for SECONDS with CONNECTIONS connections on 127.0.0.1,
   sending the session cookie: the home page, the organisation's measures page, one of its projects,
   and a search.
3. Baseline in the same run: the same pages with the cache off (SPIRAL_CACHE=dummy: Django's dummy
   cache backend), gunicorn restarted with it.

Prints requests a second, p50 and p95 per page beside the baseline, and non-2xx answers (a page that
answers 302 or 500 under load would otherwise look fast). Goal (issue 13, with 2 workers): each cached page at least 200
requests a second with p95 under 250 ms. The load generator shares the machine's cores with gunicorn and
PostgreSQL; on a shared machine the figures move with the other load (the script prints the load average).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import _scratch  # noqa: E402

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/bench_load"
GOAL_RPS, GOAL_P95_MS = 200.0, 250.0  # issue 13: against 2 gunicorn workers, cached pages
PERSON, PASSWORD = "lead@example.com", "demo"
LUA = """
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "bad": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, bad))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PRODUCTION = {
    "SPIRAL_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1",
}
SETTINGS = dict(PRODUCTION)  # replaced by development settings with DEBUG off when collectstatic fails


CACHE: dict[str, str] = {}  # CACHE_URL for gunicorn (--cache redis), empty for the database cache


def _env(url: str, data_dir: Path, cache_off: bool) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, SPIRAL_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    env.pop("CACHE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(CACHE)
    env.update(SETTINGS, SECURE_SSL_REDIRECT="0", DEBUG="0")
    env.pop("SPIRAL_DEMO", None)
    if cache_off:
        env["SPIRAL_CACHE"] = "dummy"
    else:
        env.pop("SPIRAL_CACHE", None)
    return env


def _pages(url: str, data_dir: Path) -> dict[str, str]:
    """The pages' addresses, read from the loaded demo."""
    code = (
        "from spiral.organisations.models import Membership\n"
        "from spiral.projects.models import Project\n"
        f"m = Membership.objects.filter(user__email='{PERSON}').select_related('unit').order_by('unit__depth')[0]\n"
        "p = Project.objects.filter(unit__path__startswith=m.unit.path).order_by('pk').first()\n"
        "print('PAGES', m.unit.code, p.pk)\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "spiral.cli", "shell", "-c", code],
        env=_env(url, data_dir, False) | {"SPIRAL_ENV": "development"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    _, unit, project = next(line for line in out.splitlines() if line.startswith("PAGES")).split()
    return {
        "home": "/",
        "unit's measures": f"/measures/units/{unit}/",
        "project": f"/projects/{project}/",
        "search": "/search/?q=falls",
    }


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    out = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        out[name.strip()] = rest.split(";", 1)[0]
    return out


def _sign_in(port: int) -> str:
    """Sign in through the form; return the session cookie's value (Secure cookies, sent by hand)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/sign-in/")
    response = conn.getresponse()
    html = response.read().decode()
    csrf = _cookies(response)["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = f"username={PERSON.replace('@', '%40')}&password={PASSWORD}&csrfmiddlewaretoken={token}"
    conn.request(
        "POST",
        "/sign-in/",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"},
    )
    response = conn.getresponse()
    response.read()
    session = _cookies(response).get("sessionid")
    if response.status != 302 or not session:
        raise SystemExit(f"signing in as {PERSON} failed: HTTP {response.status}")
    return session


def _check(port: int, path: str, session: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status} before the load started")


def _serve(url: str, data_dir: Path, port: int, workers: int, cache_off: bool) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "spiral.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--graceful-timeout", "5", "--timeout", "60"],
        env=_env(url, data_dir, cache_off), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def _wrk(port: int, path: str, session: str, seconds: int, connections: int, script: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
         "-H", f"Cookie: sessionid={session}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10, help="per page and mode")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (issue 13: 2)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the demo in bench_load from an earlier run"
    )
    parser.add_argument(
        "--cache",
        choices=("redis", "database"),
        default="redis",
        help="the shared cache of kept pages: Redis (REDIS_URL, default redis://127.0.0.1:6379/7, flushed "
        "first), as a deployment of several machines has, or the database cache of the embedded default",
    )
    args = parser.parse_args()
    if args.cache == "redis":
        CACHE["CACHE_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/7"
        import redis

        redis.Redis.from_url(CACHE["CACHE_URL"]).flushdb()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    url = _scratch.pg_url("bench_load")
    if not url.startswith("postgres"):  # DATABASE_URL names SQLite: the default server
        url = PG_DEFAULT
    data_dir = Path(tempfile.mkdtemp(prefix="spiral-bench-load-"))
    if not args.reuse and not _scratch.recreate_pg(url):
        raise SystemExit(f"cannot create {url}")
    if not args.reuse:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "spiral.cli", "demo", "--size", "medium", "--no-serve", "--no-embeddings"],
            env=_env(url, data_dir, False) | {"SPIRAL_ENV": "development"},
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"medium demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
    static = subprocess.run(
        [sys.executable, "-m", "spiral.cli", "collectstatic", "--no-input", "-v", "0"],
        env=_env(url, data_dir, False), cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    settings_name = "production settings (SPIRAL_ENV=production, DEBUG off)"
    if static.returncode != 0:
        # Production pages cannot render without collected static files; measure with DEBUG off instead.
        SETTINGS.clear()
        SETTINGS["SPIRAL_ENV"] = "development"
        reason = (static.stderr.strip().splitlines() or ["?"])[-1][:120]
        settings_name = f"development settings with DEBUG off (collectstatic failed: {reason})"
    pages = _pages(url, data_dir)
    script = data_dir / "report.lua"
    script.write_text(LUA)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for mode in ("cache on", "cache off"):
        port = _free_port()
        proc = _serve(url, data_dir, port, args.workers, cache_off=mode == "cache off")
        try:
            session = _sign_in(port)
            for name, path in pages.items():
                _check(port, path, session)
                _wrk(port, path, session, 2, args.connections, script)  # warm-up
                results[(mode, name)] = _wrk(port, path, session, args.seconds, args.connections, script)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    shutil.rmtree(data_dir, ignore_errors=True)
    load = os.getloadavg()
    print(settings_name + f"; kept pages in {CACHE.get('CACHE_URL') or 'the database cache'}")
    print(
        f"gunicorn {args.workers} sync workers, PostgreSQL, wrk 2 threads x {args.connections} connections, "
        f"{args.seconds} s per page; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"{'page':<18} {'rps':>7} {'p50 ms':>7} {'p95 ms':>7} {'bad':>4}   baseline, cache off: rps p50 p95 bad"
    )
    for name in pages:
        on, off = results[("cache on", name)], results[("cache off", name)]
        verdict = (
            "meets" if on["rps"] >= GOAL_RPS and on["p95"] <= GOAL_P95_MS and not on["bad"] else "MISSES"
        )
        print(
            f"{name:<18} {on['rps']:>7.0f} {on['p50']:>7.0f} {on['p95']:>7.0f} {on['bad']:>4}   "
            f"{off['rps']:>7.0f} {off['p50']:>5.0f} {off['p95']:>5.0f} {off['bad']:>3}   {verdict} the goal"
        )


if __name__ == "__main__":
    main()
