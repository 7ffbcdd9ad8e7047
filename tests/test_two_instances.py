"""Two gunicorn instances against one PostgreSQL and one Redis behave as one system.

Each instance is its own gunicorn process on its own port, as two hosts behind a load balancer
would be: nothing is shared but the database, Redis and the secret key. A login on one works
on the other, the failed-login limit is counted across both, and a report sent to one is in
the other's triage queue. Skips (with the reason) without PostgreSQL or Redis.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager

import pytest

from f0monitor import PROJECT_ROOT

from .conftest import PASSWORD
from .test_shared_limits import REDIS_URL, _redis_or_skip

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], instance: str):
    """Serve f0monitor with gunicorn (2 sync workers) on a free port; yield its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         f"f0monitor:create_app(instance_path={instance!r})"],
        cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a loaded machine boots workers slowly
        while True:
            if proc.poll() is not None:
                raise RuntimeError("gunicorn stopped: " + proc.stderr.read().decode()[-2000:])
            try:
                with urllib.request.urlopen(base + "/login", timeout=10):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stderr.close()


class Browser:
    """A cookie jar shared across hosts, as one browser behind a load balancer would have."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, method: str, url: str, data: dict | None = None, json_body: dict | None = None,
                headers: dict | None = None) -> tuple[int, str, dict]:
        body = None
        headers = dict(headers or {})
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), dict(exc.headers)

    def move_cookies_to(self, host: str) -> None:
        """Cookies are per host:port here; a load balancer shows one host, so copy them over."""
        for cookie in list(self.jar):
            clone = http.cookiejar.Cookie(
                cookie.version, cookie.name, cookie.value, None, False, host, False, False,
                cookie.path, cookie.path_specified, cookie.secure, cookie.expires, cookie.discard,
                cookie.comment, cookie.comment_url, {}, cookie.rfc2109,
            )
            self.jar.set_cookie(clone)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _login(browser: Browser, base: str, phone: str, password: str) -> int:
    status, html, _h = browser.request("GET", base + "/login")
    token = CSRF.search(html).group(1)
    status, _body, _h = browser.request("POST", base + "/login",
                                        data={"phone": phone, "password": password, "csrf_token": token})
    return status


def test_two_instances_behave_as_one(db_url, tmp_path, make_patient, make_user):
    if not db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set F0MONITOR_TEST_DATABASE_URL): two hosts cannot share a SQLite file")
    redis_client = _redis_or_skip()
    patient = make_patient(login=True, phone="+84912000777")
    make_user("coordinator", phone="+84908000777")
    prefix = f"f0two-{uuid.uuid4().hex[:8]}"
    env = {
        "F0MONITOR_DATABASE_URL": db_url,
        "F0MONITOR_SECRET_KEY": "one-secret-for-every-host-" + uuid.uuid4().hex,
        "F0MONITOR_RATELIMIT_STORAGE_URI": REDIS_URL,
        "F0MONITOR_RATELIMIT_KEY_PREFIX": prefix,
        "F0MONITOR_LOGIN_LIMIT_PER_PHONE_ADDRESS": "3 per 15 minutes",
        "F0MONITOR_SESSION_COOKIE_SECURE": "false",
        "F0MONITOR_REMEMBER_COOKIE_SECURE": "false",
        "F0MONITOR_STAFF_MFA": "optional",  # as conftest: staff sign in with a password here
    }
    try:
        with ExitStack() as stack:
            a = stack.enter_context(gunicorn(env, str(tmp_path / "a")))
            b = stack.enter_context(gunicorn(env, str(tmp_path / "b")))

            # A login on A is a login on B: the session is a signed cookie, nothing in memory.
            staff = Browser()
            assert _login(staff, a, "0908000777", PASSWORD) == 302
            staff.move_cookies_to("127.0.0.1")
            status, html, _h = staff.request("GET", b + "/staff/")
            assert status == 200 and 'name="csrf_token"' in html

            # A report sent to B (warning signs) is in the queue A shows, at the top, alerted.
            status, body, _h = Browser().request("POST", a + "/api/v1/tokens",
                                                 json_body={"phone": "0912000777", "password": PASSWORD})
            assert status == 201, body
            token = json.loads(body)["token"]
            status, body, _h = Browser().request(
                "POST", b + "/api/v1/me/reports", headers={"Authorization": f"Bearer {token}"},
                json_body={"spo2": 91, "spo2_recheck": 91, "symptoms": ["shortness_of_breath"]})
            assert status == 201, body
            status, html, _h = staff.request("GET", a + "/staff/")
            assert status == 200
            assert f"/staff/patients/{patient.id}" in html

            # The per-phone-and-address failed-login limit is counted across the two: 2 on A and
            # 1 on B, then refused on either.
            intruder = Browser()
            assert [_login(intruder, a, "0912000777", "wrong") for _ in range(2)] == [200, 200]
            assert _login(intruder, b, "0912000777", "wrong") == 200
            assert _login(intruder, a, "0912000777", "wrong") == 429
            assert _login(intruder, b, "0912000777", "wrong") == 429
    finally:
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)
