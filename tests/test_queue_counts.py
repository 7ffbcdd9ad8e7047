"""The queue's pages are exact without counting; the total may be a few seconds old.

``services.queue.triage_queue`` reads each tier segment with a LIMITed index scan of at most
``offset + per_page`` rows, so which patients a page holds never depends on a count; the
grouped count only labels the page and may come from ``CountCache``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from f0monitor.data.models import Patient, User
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services.queue import CountCache, QueueFilters, triage_queue

from .staff_helpers import WARNING, report


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_the_count_cache_keeps_a_count_for_its_ttl_only():
    clock, calls = Clock(), []
    cache = CountCache(ttl=10, clock=clock)

    def count():
        calls.append(1)
        return {"green": len(calls)}

    assert cache.get(("a",), count) == {"green": 1}
    clock.t += 9.9
    assert cache.get(("a",), count) == {"green": 1}  # reused
    assert cache.get(("b",), count) == {"green": 2}  # another view counts for itself
    clock.t += 0.2
    assert cache.get(("a",), count) == {"green": 3}  # expired: counted again
    assert CountCache(ttl=0).get(("a",), count) == {"green": 4}  # ttl 0 always counts


def _ids(page) -> list[int]:
    return [item.patient.id for item in page.items]


def test_every_page_is_exact_though_the_total_is_cached(app, make_patient, make_user):
    doctor_id = make_user("doctor").id
    now = utcnow()
    patients = [make_patient(now=now - timedelta(hours=30)).id for _ in range(9)]
    # Tiers and report times spread the patients over several segments.
    for i, pid in enumerate(patients[:6]):
        values = {"spo2": 95, "temperature_c": 38.6} if i % 2 else {"spo2": 98, "temperature_c": 36.8}
        report(app, pid, when=now - timedelta(hours=20 - i), **values)
    report(app, patients[6], **WARNING)  # an alert: first, whatever else
    cache = CountCache(ttl=3600)
    with app.app_context():
        session = get_session()
        doctor = session.get(User, doctor_id)
        whole = triage_queue(session, doctor, QueueFilters(per_page=50), now=now, counts=cache)
        order = _ids(whole)
        assert len(order) == 9 and order[0] == patients[6] and whole.total == 9
        # Any page size and page number gives the same order, slice by slice.
        for per_page in (1, 2, 4):
            pages = [triage_queue(session, doctor, QueueFilters(page=n, per_page=per_page), now=now,
                                  counts=cache) for n in range(1, 11)]
            assert [pid for p in pages for pid in _ids(p)] == order, per_page
        session.commit()
    # A new patient turns red: the cached total is stale (9), but the pages already hold them.
    newcomer = make_patient(now=now - timedelta(hours=30)).id
    report(app, newcomer, **WARNING)
    with app.app_context():
        session = get_session()
        doctor = session.get(User, doctor_id)
        page = triage_queue(session, doctor, QueueFilters(per_page=50), now=utcnow(), counts=cache)
        assert page.total == 9  # the label lags: the count is the cached one
        assert newcomer in _ids(page) and len(page.items) == 10
        fresh = triage_queue(session, doctor, QueueFilters(per_page=50), now=utcnow())
        assert fresh.total == 10


@pytest.fixture
def app_config():
    return {"QUEUE_COUNT_TTL": 30}


def test_the_app_reuses_the_count_between_polls(app, client, make_patient, make_user):
    from .staff_helpers import sign_in
    from .test_statements import counted

    doctor = make_user("doctor")
    make_patient()
    sign_in(client, doctor)
    with counted(app.extensions["f0monitor.engine"]) as first:
        assert client.get("/staff/").status_code == 200
    with counted(app.extensions["f0monitor.engine"]) as again:
        assert client.get("/staff/").status_code == 200
    counts = lambda statements: sum("count(" in s.lower() and "group by" in s.lower() for s in statements)  # noqa: E731
    assert counts(first) == 1 and counts(again) == 0
    with app.app_context():
        assert get_session().query(Patient).count() == 1


def test_a_search_orders_its_matches_as_the_queue_does(app, make_patient, make_user, monkeypatch):
    """A narrow search is ordered among its matches by the database; a broad one (more matches
    than SEARCH_AT_HAND) goes through the segments: both give the queue's order, and a patient
    with an alert who does not match is in neither."""
    from f0monitor.services import queue

    doctor_id = make_user("doctor").id
    now = utcnow()
    ids = [make_patient(full_name=f"Nguyễn Thị Lan {i}", now=now - timedelta(hours=30)).id for i in range(6)]
    other = make_patient(full_name="Trần Văn Bình", now=now - timedelta(hours=30)).id
    report(app, other, **WARNING)  # an alert, but no match: never in the search's head
    for i, pid in enumerate(ids[:4]):
        values = {"spo2": 95, "temperature_c": 38.6} if i % 2 else {"spo2": 98, "temperature_c": 36.8}
        report(app, pid, when=now - timedelta(hours=10 - i), **values)
    report(app, ids[4], **WARNING)
    with app.app_context():
        session = get_session()
        doctor = session.get(User, doctor_id)
        narrow = triage_queue(session, doctor, QueueFilters(q="nguyen lan", per_page=50), now=now)
        unfiltered = [pid for pid in _ids(triage_queue(session, doctor, QueueFilters(per_page=50), now=now))
                      if pid in ids]
        # page by page, each page's window ordered and cut in SQL, after the alerted patient
        narrow_pages = [triage_queue(session, doctor, QueueFilters(q="nguyen lan", page=n, per_page=2), now=now)
                        for n in (1, 2, 3, 4)]
        monkeypatch.setattr(queue, "SEARCH_AT_HAND", 2)  # now "too many": the segment path
        broad = triage_queue(session, doctor, QueueFilters(q="nguyen lan", per_page=50), now=now)
        paged = [pid for n in (1, 2, 3) for pid in _ids(
            triage_queue(session, doctor, QueueFilters(q="nguyen lan", page=n, per_page=2), now=now))]
    assert _ids(narrow) == unfiltered == _ids(broad) == paged
    assert narrow.total == 6 and _ids(narrow)[0] == ids[4] and other not in _ids(narrow)
    assert [pid for page in narrow_pages for pid in _ids(page)] == _ids(narrow)
    assert all(page.total == 6 for page in narrow_pages) and _ids(narrow_pages[3]) == []
