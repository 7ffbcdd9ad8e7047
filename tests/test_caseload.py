"""The department's caseload service on hand-built data, across Vietnamese day boundaries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from f0monitor.data.models import Alert, Patient, User
from f0monitor.data.session import get_session
from f0monitor.domain.clock import VN_TZ
from f0monitor.services.alerts import acknowledge
from f0monitor.services.caseload import Area, BadArea, area_for, caseload, today_totals
from f0monitor.services.scope import OutOfScope

from .conftest import AN_GIANG, LONG_XUYEN, _other_ward
from .staff_helpers import WARNING, report

D = date(2026, 3, 10)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN_TZ)


NOW = local(D + timedelta(days=2), 12)
NORMAL = {"temperature_c": 36.8, "spo2": 98, "pulse": 80, "respiratory_rate": 16}


@pytest.fixture
def world(app, make_patient, make_user):
    """A: ward 1, registered D 10:00, reports D 23:30 (normal) and D+1 00:30 (warning signs).
    B: ward 2, registered D-1 20:00, recovered D 22:00. C: another province."""
    other = _other_ward()
    a = make_patient(now=local(D, 10))
    b = make_patient(now=local(D - timedelta(days=1), 20), ward_code=other)
    c = make_patient(now=local(D, 9), province_code=1, ward_code=_ward_of(1))
    report(app, a.id, when=local(D, 23, 30), **NORMAL)
    alert = report(app, a.id, when=local(D + timedelta(days=1), 0, 30), **WARNING)
    assert alert is not None
    doctor = make_user("doctor")
    with app.app_context():
        session = get_session()
        acknowledge(session, session.get(Alert, alert.id), session.get(User, doctor.id),
                    now=local(D + timedelta(days=1), 0, 40))
        patient = session.get(Patient, b.id)
        patient.status = "recovered"
        patient.status_changed_at = patient.discharged_at = local(D, 22)
        session.commit()
    return {"a": a.id, "b": b.id, "c": c.id, "ward1": LONG_XUYEN, "ward2": other}


def _ward_of(province: int) -> int:
    from f0monitor.services import areas

    return areas.wards(province)[0][0]


def _items(app, area, first=D - timedelta(days=1), last=D + timedelta(days=2)):
    with app.app_context():
        return {(i.date, i.ward_code): i for i in caseload(get_session(), area, first, last, now=NOW)}


def test_counts_by_day_and_ward(app, world):
    items = _items(app, Area(province_code=AN_GIANG))
    w1, w2 = world["ward1"], world["ward2"]
    d0, d1, d2, d3 = (D + timedelta(days=k) for k in (-1, 0, 1, 2))
    assert set(items) == {(d, w) for d in (d0, d1, d2, d3) for w in (w1, w2)}  # dense per ward
    # B came on D-1 evening and left on D: active at the end of D-1 only.
    assert (items[(d0, w2)].new, items[(d0, w2)].active) == (1, 1)
    assert (items[(d1, w2)].active, items[(d1, w2)].recovered) == (0, 1)
    # A came on D and stays.
    assert [items[(d, w1)].new for d in (d0, d1, d2, d3)] == [0, 1, 0, 0]
    assert [items[(d, w1)].active for d in (d0, d1, d2, d3)] == [0, 1, 1, 1]
    # The 23:30 report covers the end of D; the 00:30 one belongs to D+1 and is more than
    # 12 hours old at its end: overdue then, and still today (as of noon on D+2).
    assert [items[(d, w1)].overdue for d in (d0, d1, d2, d3)] == [0, 0, 1, 1]
    # B registered at 20:00 on D-1: less than 12 hours before the end of that day.
    assert items[(d0, w2)].overdue == 0
    # Tier at the end of each day: before the warning signs, then red.
    assert items[(d1, w1)].by_tier["red"] == 0 and sum(items[(d1, w1)].by_tier.values()) == 1
    assert items[(d2, w1)].by_tier["red"] == 1 and items[(d3, w1)].by_tier["red"] == 1
    # The alert opened at 00:30 on D+1 (17:30 UTC on D) counts on D+1, acknowledged in 10 min.
    assert [items[(d, w1)].alerts_opened for d in (d0, d1, d2, d3)] == [0, 0, 1, 0]
    assert items[(d2, w1)].median_minutes_to_acknowledge == 10.0
    assert items[(d1, w1)].median_minutes_to_acknowledge is None


def test_ward_filter_and_other_province(app, world):
    only = _items(app, Area(province_code=AN_GIANG, ward_codes=(world["ward2"],)))
    assert {ward for _d, ward in only} == {world["ward2"]}
    elsewhere = _items(app, Area(province_code=1))
    assert sum(i.new for i in elsewhere.values()) == 1  # C only
    assert all(ward != world["ward1"] for _d, ward in elsewhere)


def test_days_after_today_are_left_out(app, world):
    items = _items(app, Area(province_code=AN_GIANG), last=D + timedelta(days=20))
    assert max(d for d, _w in items) == D + timedelta(days=2)


def test_today_totals(app, world):
    with app.app_context():
        today = today_totals(get_session(), Area(province_code=AN_GIANG), now=NOW)
    assert today.active == 1 and today.by_tier["red"] == 1
    assert today.overdue == 1 and today.missing == 1  # last report 35.5 hours ago
    assert today.open_alerts == 1 and today.unacknowledged_alerts == 0
    assert today.median_minutes_7d == 10.0 and today.acknowledged_7d == 1
    assert today.new_today == 0


def test_the_dashboard_counts_todays_overdue_once(app, world):
    """Today's overdue by ward from today_totals is what caseload counts for today itself."""
    area = Area(province_code=AN_GIANG)
    with app.app_context():
        session = get_session()
        today = today_totals(session, area, now=NOW)
        given = caseload(session, area, D, D + timedelta(days=2), now=NOW, overdue_now=today.overdue_by_ward)
        counted = caseload(session, area, D, D + timedelta(days=2), now=NOW)
    assert today.overdue_by_ward == {world["ward1"]: 1}
    assert [i.as_dict() for i in given] == [i.as_dict() for i in counted]


def test_area_for_the_users_scope():
    class U:
        def __init__(self, role, province, wards=()):
            self.role, self.province_code, self.ward_codes = role, province, list(wards)

    dept = U("department", AN_GIANG)
    assert area_for(dept) == Area(province_code=AN_GIANG)
    assert area_for(dept, AN_GIANG, LONG_XUYEN) == Area(AN_GIANG, (LONG_XUYEN,))
    with pytest.raises(OutOfScope):
        area_for(dept, 1)
    with pytest.raises(OutOfScope):
        area_for(dept, None, _ward_of(1))
    with pytest.raises(BadArea):
        area_for(dept, None, 99999999)
    with pytest.raises(BadArea):
        area_for(dept, 999)
    assert area_for(U("admin", None)) == Area()
    assert area_for(U("admin", None), 1) == Area(province_code=1)
    with pytest.raises(BadArea):
        area_for(U("admin", None), 1, LONG_XUYEN)  # a ward of another province
    assert area_for(U("department", None)).empty  # a department account without a province
    with pytest.raises(OutOfScope):
        area_for(U("department", AN_GIANG, (LONG_XUYEN,)), None, _other_ward())


def test_todays_silent_count_is_reused_for_its_area_within_the_ttl(app, world):
    """``DEPARTMENT_COUNT_TTL``: the count of today's silent patients (it reads every one of
    them) is reused for the same area until it is `ttl` seconds old, then counted again."""
    from f0monitor.services.queue import CountCache

    clock = [100.0]
    counts = CountCache(30, clock=lambda: clock[0])
    area = Area(province_code=AN_GIANG)

    def overdue(area=area, counts=counts):
        with app.app_context():
            session = get_session()
            today = today_totals(session, area, now=NOW, counts=counts)
            items = caseload(session, area, NOW.date(), NOW.date(), now=NOW, counts=counts)
        return today.overdue, today.missing, sum(i.overdue for i in items)

    assert overdue() == (1, 1, 1)
    report(app, world["a"], when=NOW - timedelta(hours=1), **NORMAL)  # A is no longer silent
    clock[0] += 29
    assert overdue() == (1, 1, 1)  # the same area within the ttl: the count of 29 s ago
    assert overdue(counts=None) == (0, 0, 0)  # counted now
    assert overdue(area=Area(province_code=AN_GIANG, ward_codes=(world["ward1"],))) == (0, 0, 0)  # another key
    clock[0] += 2
    assert overdue() == (0, 0, 0)  # 31 s: counted again
