"""gunicorn settings for f0monitor's workers: ``gunicorn -c python:f0monitor.gunicorn_conf``.

Only what the app needs of every deployment; workers, binding and timeouts stay on the
command line (README "Deployment").
"""

from __future__ import annotations

import gc


def post_worker_init(worker) -> None:  # noqa: ANN001 (gunicorn's hook signature)
    """Move the objects of the loaded app out of the garbage collector's sight.

    A worker holds ~200,000 long-lived objects after loading the app (modules, the ORM's
    mappers, templates, catalogs). Python's full collection walks them all: 55–85 ms, every
    few requests, which was the slowest 1 % of page times. Frozen, they are never collected
    (they live as long as the worker anyway) and a full collection walks only what requests
    made.
    """
    gc.freeze()


# A worker's first requests fill what lives as long as it does: compiled templates and SQL,
# the catalogs, the pools. A full collection walked them on every cycle: 9-104 ms, a few times
# a minute (gc.callbacks in a worker, the queue's first page under wrk at 300,000 patients
# with 1,282 open alerts). After the 20th, 200th and 2,000th requests they are collected and
# frozen too; a full collection then walks under 2,000 objects (0.3-1.2 ms). Frozen objects
# are still freed when nothing refers to them (only the cycle collector skips them), so what
# is frozen can leak only as cycles, and only of what lived at those three moments.
REFREEZE_AFTER = (20, 200, 2000)


def post_request(worker, _req, _environ, _resp) -> None:  # noqa: ANN001 (gunicorn's hook signature)
    """After the response is sent: at `REFREEZE_AFTER` requests, collect and freeze what lives."""
    worker.f0_served = getattr(worker, "f0_served", 0) + 1
    if worker.f0_served in REFREEZE_AFTER:
        gc.collect()
        gc.freeze()
