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
