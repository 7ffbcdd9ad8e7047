"""PostgreSQL restarts and a killed worker under load: only 201 or 503, never a 500, nothing lost.

Runs the harness of bench/faults.py (a private throwaway PostgreSQL cluster made with initdb,
never the shared server; gunicorn serving the app against it) with fewer reports. PostgreSQL
only: it runs in the suite's PostgreSQL pass (F0MONITOR_TEST_DATABASE_URL) where the server
binaries are installed.
"""

from __future__ import annotations

import os

import pytest

from .benches import load_bench

faults = load_bench("faults")

pytestmark = [
    pytest.mark.skipif(not os.environ.get("F0MONITOR_TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="PostgreSQL only (set F0MONITOR_TEST_DATABASE_URL)"),
    pytest.mark.skipif(faults.pg_bin() is None, reason="initdb and pg_ctl are not installed"),
]


def test_database_restarts_and_a_killed_worker_lose_nothing():
    result = faults.run(reports=160, clients=4, workers=2, kill_worker=True, modes=("fast", "immediate"))
    report = "\n".join(result.lines())
    assert result.bad == [], report  # no 500, no other status
    assert set(result.attempts) <= {200, 201, 503, "dropped"}, report
    assert result.missing_retry_after == 0, report
    assert len(result.acknowledged) == 160 and not result.unacknowledged, report
    assert result.stored_once == 160 and result.stored_twice_or_more == 0 and result.lost == [], report
    assert result.hung == 0 and result.slowest < faults.HUNG_AFTER, report
    assert result.recovered_after is not None and result.answered_after_run, report
    # The faults did happen and were seen by the clients.
    assert sum(1 for e in result.events if e.startswith("PostgreSQL restart")) == 2, report
    assert any(e.startswith("SIGKILL") for e in result.events), report
    assert result.attempts[503] + result.attempts["dropped"] > 0, report
