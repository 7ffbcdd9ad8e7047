"""Rate limits shared by several workers through Redis (skips when no Redis is reachable).

The second worker is a separate process, as a gunicorn worker is: an in-process second app
would share the limiter's memory and prove nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from f0monitor import PROJECT_ROOT, create_app

from .conftest import login

REDIS_URL = os.environ.get("F0MONITOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

WORKER = """
import json, re, sys
from f0monitor import create_app
config = json.loads(sys.argv[1])
app = create_app(config, instance_path=sys.argv[2])
client = app.test_client()
html = client.get("/login").get_data(as_text=True)
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
response = client.post("/login", data={"phone": "0912000901", "password": "wrong", "csrf_token": token})
print(response.status_code)
"""


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
    except Exception as exc:  # no server on this machine
        pytest.skip(f"no Redis at {REDIS_URL} ({exc.__class__.__name__}): shared-limit test not run")
    return client


def _other_worker(config: dict, instance: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(config), instance],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def test_failed_logins_count_across_workers(db_url, tmp_path, make_patient):
    redis_client = _redis_or_skip()
    make_patient(login=True, phone="+84912000901")
    prefix = f"f0test-{uuid.uuid4().hex[:8]}"
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": db_url,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_LIMIT_PER_PHONE_ADDRESS": "3 per 15 minutes",
    }
    worker_a = create_app(config, instance_path=str(tmp_path / "a"))
    try:
        a = worker_a.test_client()
        for _ in range(3):
            assert login(a, "0912000901", "wrong").status_code == 200
        # The fourth try from the same address, on another worker process, is refused: the
        # (phone, address) count is shared.
        assert _other_worker(config, str(tmp_path / "b")) == 429
        # With per-process memory the other worker would not know (the control case).
        local = {**config, "RATELIMIT_STORAGE_URI": "memory://"}
        assert _other_worker(local, str(tmp_path / "c")) == 200
    finally:
        worker_a.extensions["f0monitor.engine"].dispose()
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)
