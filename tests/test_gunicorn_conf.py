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
