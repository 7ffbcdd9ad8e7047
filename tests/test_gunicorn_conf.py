"""The gunicorn settings module: a worker freezes the loaded app out of the collector's sight."""

from __future__ import annotations

import gc
import subprocess
import sys


def test_a_worker_freezes_what_it_loaded():
    # In a fresh interpreter: freezing here would keep the suite's objects for good.
    code = (
        "import gc, f0monitor\n"
        "from f0monitor.gunicorn_conf import post_worker_init\n"
        "app = f0monitor.create_app({'DATABASE_URL': 'sqlite://', 'TESTING': True})\n"
        "assert gc.get_freeze_count() == 0\n"
        "post_worker_init(None)\n"
        "print(gc.get_freeze_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) > 50_000  # the app's modules, mappers and templates
    assert gc.get_freeze_count() == 0  # this process untouched


def test_a_worker_loads_the_heavy_libraries_only_when_it_uses_them():
    # zxcvbn's lists (11 MB), xlsxwriter (5 MB) and requests with its dependencies (6 MB) were a
    # fifth of a worker's resident memory at boot; a worker serving reports and pages needs
    # none of them. Each is imported by the function that uses it, on first use.
    heavy = ("zxcvbn", "xlsxwriter", "requests")
    code = (
        "import sys, f0monitor\n"
        "app = f0monitor.create_app({'DATABASE_URL': 'sqlite://', 'TESTING': True})\n"
        "client = app.test_client()\n"
        "assert client.get('/login').status_code == 200\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
        "from f0monitor.services.passwords import password_problems\n"
        "password_problems('correct horse battery staple')\n"
        "from f0monitor.services.exports import xlsx_chunks\n"
        "b''.join(xlsx_chunks(['a'], [[1]]))\n"
        "from f0monitor.channels.webhook import WebhookChannel\n"
        "WebhookChannel(url='http://127.0.0.1:9/')\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    at_boot, after_use = out.stdout.strip().split("\n")
    assert at_boot == "[]"
    assert after_use == repr(list(heavy))


def test_a_worker_freezes_again_what_its_first_requests_left_living():
    # In a fresh interpreter, as above. Served requests leave caches behind (here: a list the
    # "requests" keep); at the 20th they are collected and frozen, and not again before the 200th.
    code = (
        "import gc, types\n"
        "from f0monitor.gunicorn_conf import REFREEZE_AFTER, post_request\n"
        "assert REFREEZE_AFTER[0] == 20\n"
        "worker, kept, counts = types.SimpleNamespace(), [], []\n"
        "for n in range(1, 41):\n"
        "    kept.append([{'row': i} for i in range(1000)])\n"
        "    post_request(worker, None, None, None)\n"
        "    counts.append(gc.get_freeze_count())\n"
        "print(counts[18], counts[19], counts[39])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, at_20, at_40 = (int(n) for n in out.stdout.split())
    assert before == 0
    assert at_20 > 20_000  # the twenty requests' lists and dicts, now out of the collector's sight
    assert at_40 == at_20  # nothing more until the 200th
