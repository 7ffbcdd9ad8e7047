"""``flask --app f0monitor worker``: a Huey consumer for this app's queue."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--workers", "-w", type=int, default=None, help="Worker threads (HUEY_WORKERS, default 2).")
@click.option("--periodic/--no-periodic", default=True,
              help="Run the minute schedule (ladder, dispatch) in this consumer.")
@with_appcontext
def worker_command(workers: int | None, periodic: bool) -> None:
    """Run the job queue consumer: reminders, the escalation ladder, the outbox sender."""
    from . import queue_of

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    huey = queue_of(app)
    consumer = huey.create_consumer(
        workers=workers or int(app.config.get("HUEY_WORKERS", 2)),
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.1,
        max_delay=2.0,
        check_worker_health=True,
    )
    click.echo(f"f0monitor worker: queue {huey.name!r} ({type(huey.storage).__name__})")
    consumer.run()
