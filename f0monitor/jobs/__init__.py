"""The job queue: Huey, the same code on a laptop and at province scale.

- Storage: SQLite in the instance folder by default (``instance/huey.sqlite``: a laptop needs
  no extra server); Redis when ``HUEY_URL`` (``F0MONITOR_HUEY_URL``) is ``redis://…`` — then
  any number of consumers on any number of hosts share one queue. ``HUEY_NAME`` names the
  queue (tests and several installs on one Redis use their own).
- Consumers: ``flask --app f0monitor worker`` (``make run`` starts one beside the web server).
  Each runs the periodic scheduler unless ``--no-periodic``; periodic jobs take a Huey lock, and
  every step they take is idempotent, so several schedulers repeat nothing.
- Jobs (``tasks``) only open an app context and a database session, call a service, and commit:
  the services know nothing of the queue (import-linter contract ``jobs``).

Why Huey rather than Celery, Dramatiq or RQ: the only one of them with a file-based (SQLite)
broker, so a laptop or a small ward install runs with no broker server at all, while a province
points the same code at Redis; periodic tasks and locks are built in, and it is one small
dependency. Celery needs a broker server (or an unsupported SQLAlchemy transport) and its own
beat process; RQ and Dramatiq need Redis or RabbitMQ.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey

from . import tasks
from .worker import worker_command

EXTENSION = "f0monitor.huey"


def make_queue(app: Flask) -> Huey:
    """The Huey instance the configuration asks for (not yet holding any task)."""
    url = str(app.config.get("HUEY_URL") or "")
    name = str(app.config.get("HUEY_NAME") or "f0monitor")
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, utc=True)
    if url.startswith("sqlite:///"):
        filename = url[len("sqlite:///") :]
    elif url:
        raise ValueError(f"HUEY_URL must be redis://… or sqlite:///…, not {url!r}")
    else:
        filename = str(Path(app.instance_path) / "huey.sqlite")
    return SqliteHuey(name, filename=filename, utc=True)


def init_app(app: Flask) -> Huey:
    """Build the app's queue, register the jobs on it and the ``worker`` command."""
    huey = make_queue(app)
    app.extensions[EXTENSION] = huey
    app.extensions["f0monitor.jobs"] = tasks.register(huey, app)
    app.cli.add_command(worker_command)
    return huey


def queue_of(app: Flask) -> Huey:
    return app.extensions[EXTENSION]


def jobs_of(app: Flask) -> tasks.Jobs:
    return app.extensions["f0monitor.jobs"]
