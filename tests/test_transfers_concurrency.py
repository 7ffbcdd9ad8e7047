"""Two coordinators acting on one transfer at the same moment: exactly one wins (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from f0monitor.data.models import Transfer, TransferEvent, User
from f0monitor.data.session import get_engine, get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services.transfers import (
    TransferChanged,
    TransferNotAllowed,
    apply_event,
    open_transfer,
)

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(("first", "second"), [("dispatch", "cancel"), ("dispatch", "dispatch")])
def test_two_sessions_one_wins_the_other_is_told(app, make_patient, make_user, first, second):
    with app.app_context():
        if get_engine().dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (set F0MONITOR_TEST_DATABASE_URL): SQLite has one writer at a time")
        a, b = make_user("coordinator"), make_user("coordinator")
        patient = make_patient()
        session = get_session()
        t = open_transfer(session, session.merge(patient), reason="SpO2 91", by=None, now=utcnow())
        session.commit()
        tid = t.id
        factory = sessionmaker(get_engine(), expire_on_commit=False)
        both_read = threading.Barrier(2, timeout=10)
        results: dict[str, object] = {}

        def act(name: str, user_id: int, action: str) -> None:
            with factory() as s:
                transfer = s.get(Transfer, tid)
                user = s.get(User, user_id)
                both_read.wait()  # both have read version 1 before either writes
                try:
                    apply_event(s, transfer, action, by=user, now=utcnow(),
                                ambulance_ref="XE-1", note="changed plan", override=True)
                    s.commit()
                    results[name] = "won"
                except (TransferChanged, TransferNotAllowed) as exc:
                    s.rollback()
                    current = s.get(Transfer, tid, populate_existing=True)
                    results[name] = ("lost", type(exc).__name__, current.state)

        threads = [threading.Thread(target=act, args=("a", a.id, first)),
                   threading.Thread(target=act, args=("b", b.id, second))]
        for th in threads:
            th.start()
        for th in threads:
            th.join(20)
        assert sorted(v if v == "won" else "lost" for v in results.values()) == ["lost", "won"]
        loser = next(v for v in results.values() if v != "won")
        final = session.scalar(sa.select(Transfer.state).where(Transfer.id == tid).execution_options(populate_existing=True))
        assert loser[2] == final  # the loser learns the state that won
        assert final in ("dispatched", "cancelled")
        steps = session.scalar(sa.select(sa.func.count()).select_from(TransferEvent).where(TransferEvent.transfer_id == tid))
        assert steps == 2  # the request and the one winning step, never both
