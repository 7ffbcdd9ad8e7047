"""The jobs: each opens an app context and a session, calls a service, commits, returns figures.

Registered per app (``register``), so the producer (the web app) and the consumer build the
same task names from the same code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from huey import Huey, crontab

from .. import channels
from ..data.session import get_session
from ..domain.clock import utcnow
from ..services import delivery, ladder, texts

log = logging.getLogger("f0monitor.jobs")


@dataclass(frozen=True)
class Jobs:
    """The task wrappers of one app's queue (call one to enqueue it)."""

    ladder_tick: Any
    send_due: Any
    dispatch: Any
    periodic_ladder: Any
    close_days: Any = None


def run_close_days(app: Flask, now: datetime | None = None) -> list[str]:
    """Count the reporters of the caseload's past days not yet closed (services.rollup)."""
    from ..services import rollup

    with app.app_context():
        session = get_session()
        days = rollup.close_days(session, now=now or utcnow())
        session.commit()
        return [d.isoformat() for d in days]


def adapters_of(app: Flask) -> Mapping[str, channels.Channel]:
    """One adapter per channel and process, as configured (HTTP keep-alive is reused)."""
    if "f0monitor.channels" not in app.extensions:
        app.extensions["f0monitor.channels"] = channels.build_all(app.config)
    return app.extensions["f0monitor.channels"]


def run_ladder(app: Flask, now: datetime | None = None) -> dict[str, Any]:
    with app.app_context():
        texts.use_directory(app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0])
        session = get_session()
        result = ladder.tick(session, now=now or utcnow(), checkpoint=session.commit)
        session.commit()
        return asdict(result)


# How long a sender that found nothing waits before claiming again while a tick is writing.
WAIT_FOR_TICK = 0.5


def run_sender(app: Flask, *, budget_seconds: float = 50.0, batch: int = delivery.BATCH,
               now: datetime | None = None, ticking: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Claim and send due messages until none is left or the time budget is spent.

    ``ticking`` tells whether a ladder tick is writing reminders now: a sender that finds
    nothing due then waits for the tick's next committed batch instead of leaving, so that a
    slot's burst starts going out seconds after its first batch, not at the next minute's
    dispatch (the dispatch's senders start at the same minute as the tick, before its first
    commit).
    """
    deadline = time.monotonic() + budget_seconds
    total = delivery.Counts()
    adapters = adapters_of(app)
    with app.app_context():
        session = get_session()
        while time.monotonic() < deadline:
            moment = now or utcnow()
            ids = delivery.claim(session, now=moment, limit=batch)
            session.commit()  # the claim is ours before anything is sent
            if not ids:
                if ticking is not None and ticking() and time.monotonic() + WAIT_FOR_TICK < deadline:
                    time.sleep(WAIT_FOR_TICK)
                    continue
                break
            try:
                counts = delivery.send_claimed(session, ids, adapters, now=now or utcnow())
                session.commit()
            except Exception:
                session.rollback()  # the lease expires and another attempt picks them up
                raise
            total.add(counts)
    figures = {k: getattr(total, k) for k in ("sent", "delivered", "retried", "failed", "cancelled", "held")}
    if total.handled:
        log.info("outbox: %s", figures)
    return figures


def register(huey: Huey, app: Flask) -> Jobs:
    fanout = int(app.config.get("HUEY_SEND_FANOUT", 2))

    @huey.task(retries=3, retry_delay=10, name="ladder_tick")
    def ladder_tick(now_iso: str | None = None) -> dict[str, Any]:
        with huey.lock_task("ladder"):
            return run_ladder(app, datetime.fromisoformat(now_iso) if now_iso else None)

    @huey.task(retries=3, retry_delay=10, name="send_due")
    def send_due(budget_seconds: float = 50.0, now_iso: str | None = None,
                 batch: int = delivery.BATCH) -> dict[str, Any]:
        return run_sender(app, budget_seconds=budget_seconds, batch=batch,
                          now=datetime.fromisoformat(now_iso) if now_iso else None,
                          ticking=lambda: huey.is_locked("ladder"))

    @huey.periodic_task(crontab(minute="*"), name="periodic_ladder")
    def periodic_ladder() -> None:
        ladder_tick()

    @huey.periodic_task(crontab(minute="*"), name="dispatch")
    def dispatch() -> None:
        # Several senders at once share the work (claims keep them apart); each stops before
        # the next minute's dispatch.
        for _ in range(fanout):
            send_due(50.0)

    @huey.periodic_task(crontab(minute="*/5"), name="close_days")
    def close_days() -> list[str]:
        # Every five minutes (a no-op but after midnight): the day that ended at midnight
        # (Vietnam) is closed by 00:05. Until then the caseload counts its reporters from the
        # reports themselves, which at 300,000 patients takes ~0.7 s a dashboard.
        return run_close_days(app)

    return Jobs(ladder_tick, send_due, dispatch, periodic_ladder, close_days)
