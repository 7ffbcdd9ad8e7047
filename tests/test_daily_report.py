"""The department's daily report checked against hand counts on a known data set."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Alert
from f0monitor.data.session import get_session
from f0monitor.domain.clock import local_date, utcnow
from f0monitor.services.caseload import Area, day_start
from f0monitor.services.dailyreport import daily_report, percentile, response_times, ward_totals

from .conftest import AN_GIANG, LONG_XUYEN, _other_ward
from .staff_helpers import sign_in


@pytest.fixture
def known(app, make_patient):
    """Three patients tested 3 days ago in Long Xuyên, one yesterday in another ward; four
    alerts acknowledged yesterday after 10, 20, 30 and 100 minutes."""
    now = utcnow()
    today = local_date(now)
    ids = []
    for _ in range(3):
        ids.append(make_patient(now=now - timedelta(days=3), positive_test_date=today - timedelta(days=3)).id)
    other = _other_ward()
    ids.append(make_patient(now=now - timedelta(days=1), positive_test_date=today - timedelta(days=1),
                            ward_code=other).id)
    with app.app_context():
        session = get_session()
        noon = day_start(today - timedelta(days=1)) + timedelta(hours=12)
        for pid, minutes in zip(ids, (10, 20, 30, 100), strict=True):
            session.add(Alert(patient_id=pid, state="acknowledged", reason_codes=["W1"],
                              opened_at=noon - timedelta(minutes=minutes), acknowledged_at=noon,
                              seconds_to_acknowledge=minutes * 60))
        session.commit()
    return {"today": today, "other": other, "ids": ids}


def test_figures_match_a_hand_count(app, known):
    today = known["today"]
    with app.app_context():
        report = daily_report(get_session(), Area(province_code=AN_GIANG), today - timedelta(days=6), today)
    rows = {row["date"]: row for row in report.rows()}
    assert rows[today - timedelta(days=3)]["new_cases"] == 3
    assert rows[today - timedelta(days=1)]["new_cases"] == 1
    assert sum(report.new_cases) == 4
    assert rows[today]["average7"] == pytest.approx(4 / 7, abs=0.05)
    yesterday = rows[today - timedelta(days=1)]
    assert yesterday["acknowledged"] == 4
    assert yesterday["median_minutes"] == 25.0  # (20 + 30) / 2
    assert yesterday["p90_minutes"] == pytest.approx(30 + 0.7 * 70, abs=0.05)  # 79.0
    assert report.overall_median == 25.0
    assert all(r is None for r in report.rt)  # 4 cases: fewer than the 12 a window needs
    by_ward = {w.ward_code: w for w in report.wards}
    assert by_ward[LONG_XUYEN].total == 3 and by_ward[known["other"]].total == 1
    assert {w.ward_code for w in report.growing_wards} == {LONG_XUYEN, known["other"]}


def test_acknowledgements_fall_in_their_local_day(app, make_patient):
    """An alert acknowledged at 23:59:59 in Vietnam (16:59:59 UTC) counts on that day, one at
    00:00 local the next; those just outside the range are left out."""
    now = utcnow()
    today = local_date(now)
    first, last = today - timedelta(days=4), today - timedelta(days=1)
    patient = make_patient(now=now - timedelta(days=6))
    second = timedelta(seconds=1)
    moments = {
        "before the range": day_start(first) - second,
        "first, 00:00": day_start(first),
        "first, 23:59:59": day_start(first + timedelta(days=1)) - second,
        "second, 00:00": day_start(first + timedelta(days=1)),
        "last, 23:59:59": day_start(last + timedelta(days=1)) - second,
        "after the range": day_start(last + timedelta(days=1)),
    }
    with app.app_context():
        session = get_session()
        for k, at in enumerate(moments.values()):
            minutes = 10 * (k + 1)
            session.add(Alert(patient_id=patient.id, state="acknowledged", reason_codes=["W1"],
                              opened_at=at - timedelta(minutes=minutes, seconds=0.6), acknowledged_at=at,
                              seconds_to_acknowledge=minutes * 60))
        session.commit()
        report = daily_report(session, Area(province_code=AN_GIANG), first, last)
        elsewhere = daily_report(session, Area(province_code=AN_GIANG + 1), first, last)
    assert moments["first, 23:59:59"].astimezone(UTC).strftime("%H:%M:%S") == "16:59:59"
    assert report.acknowledged == [2, 1, 0, 1]
    assert report.median_minutes == [25.0, 40.0, None, 50.0]  # whole seconds: 0.6 s dropped
    assert report.overall_median == 35.0
    assert elsewhere.acknowledged == [0, 0, 0, 0]


def test_response_times_in_the_database_and_in_python_agree(app, make_patient):
    """The same medians and 90th percentiles whether PostgreSQL computes them (percentile_cont)
    or Python does (``percentile``), per day and over the range, in whole seconds."""
    now = utcnow()
    today = local_date(now)
    first, last = today - timedelta(days=3), today - timedelta(days=1)
    patient = make_patient(now=now - timedelta(days=5))
    waits = {0: [61.9, 125, 7, 3600, 30.5], 2: [10, 20, 30, 100, 17, 93, 45.2, 600]}  # none on day 1
    with app.app_context():
        session = get_session()
        for i, seconds_list in waits.items():
            noon = day_start(first + timedelta(days=i)) + timedelta(hours=12)
            for seconds in seconds_list:
                session.add(Alert(patient_id=patient.id, state="acknowledged", reason_codes=["W1"],
                                  opened_at=noon - timedelta(seconds=seconds), acknowledged_at=noon,
                                  seconds_to_acknowledge=int(seconds)))
        session.commit()
        area = Area(province_code=AN_GIANG)
        python = response_times(session, area, first, last, in_database=False)
        if session.get_bind().dialect.name == "postgresql":
            assert response_times(session, area, first, last) == python
        empty = response_times(session, Area(province_code=AN_GIANG + 1), first, last)
    whole = {i: [int(s) for s in v] for i, v in waits.items()}
    assert python.acknowledged == [5, 0, 8]
    assert python.median_minutes == [round(61 / 60, 1), None, round((30 + 45) / 2 / 60, 1)]
    assert python.p90_minutes == [round(percentile(whole[0], 0.9) / 60, 1), None,
                                  round(percentile(whole[2], 0.9) / 60, 1)]
    assert python.overall_median == round(percentile(whole[0] + whole[2], 0.5) / 60, 1)
    assert empty.acknowledged == [0, 0, 0] and empty.overall_median is None and empty.p90_minutes == [None] * 3


def test_percentile():
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([10, 20, 30, 100], 0.5) == 25
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)


def test_totals_row_adds_up():
    rows = [{"active": 2, "green": 1, "yellow": 1, "orange": 0, "red": 0, "overdue": 1, "new": 2,
             "recovered": 0, "transferred": 0, "deceased": 0, "alerts_opened": 3,
             "median_minutes_to_acknowledge": 5.0},
            {"active": 3, "green": 0, "yellow": 0, "orange": 1, "red": 2, "overdue": 0, "new": 1,
             "recovered": 1, "transferred": 1, "deceased": 0, "alerts_opened": 1,
             "median_minutes_to_acknowledge": None}]
    totals = ward_totals(rows)
    assert totals["active"] == 5 and totals["red"] == 2 and totals["alerts_opened"] == 4
    assert ward_totals([]) is None


def test_rt_appears_with_enough_cases(app, make_patient):
    now = utcnow()
    today = local_date(now)
    for back in range(14):
        for _ in range(3):
            make_patient(now=now - timedelta(days=back), positive_test_date=today - timedelta(days=back))
    with app.app_context():
        report = daily_report(get_session(), Area(province_code=AN_GIANG), today - timedelta(days=4), today)
    last = report.rt[-1]
    assert last is not None and last.lower < last.mean < last.upper
    assert last.cases == 21  # 3 a day over the 7-day window


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_dashboard_shows_totals_and_the_daily_report(client, make_user, known, lang):
    dept = make_user("department", full_name="Sở Y tế", locale=lang)
    sign_in(client, dept)
    page = client.get("/department/").get_data(as_text=True)
    assert 'class="totals"' in page
    assert ("Tổng" if lang == "vi" else "Total") in page
    assert ("Số ca mắc mới mỗi ngày theo ngày xét nghiệm dương tính" if lang == "vi" else "New cases per day by date of positive test") in page
    assert ("Nơi số ca tăng" if lang == "vi" else "Where it grows") in page
    daily = client.get("/department/daily")
    assert daily.status_code == 200
    text = daily.get_data(as_text=True)
    assert ("Báo cáo nhanh tình hình F0 điều trị tại nhà" if lang == "vi"
            else "Daily report on COVID-19 patients treated at home") in text
    assert 'class="totals"' in text
    assert text.count("<tr") >= 10


def test_daily_summary_is_for_aggregate_roles_only(client, make_user):
    doctor = make_user("doctor", ward_codes=[LONG_XUYEN])
    sign_in(client, doctor)
    assert client.get("/department/daily").status_code == 403


def test_closed_days_waits_are_read_once_and_open_days_every_time(app, make_patient):
    """``ClosedWaits``: the waits of a day the rollup has closed are read once, then kept; a
    day not closed (today) is read on every call. The figures are those read without it."""
    from f0monitor.data.models import CaseloadAck
    from f0monitor.services import rollup
    from f0monitor.services.dailyreport import ClosedWaits

    now = utcnow()
    today = local_date(now)
    first = today - timedelta(days=2)
    patient = make_patient(now=now - timedelta(days=5))
    area = Area(province_code=AN_GIANG)

    def ack(day, seconds):
        at = min(day_start(day) + timedelta(hours=12), now)
        session.add(Alert(patient_id=patient.id, state="acknowledged", reason_codes=["W1"],
                          opened_at=at - timedelta(seconds=seconds), acknowledged_at=at,
                          seconds_to_acknowledge=seconds))
        session.commit()

    with app.app_context():
        session = get_session()
        for seconds in (60, 120, 600):
            ack(first, seconds)
        ack(first + timedelta(days=1), 300)
        ack(today, 30)
        rollup.close_days(session, now=now, since=first)  # the two past days
        session.commit()
        kept = ClosedWaits()
        once = response_times(session, area, first, today, closed=kept)
        assert once == response_times(session, area, first, today)
        assert once.acknowledged == [3, 1, 1]
        # Gone from the table after the first read: the kept waits still answer for the
        # closed days, while today is read again and counts a new acknowledgement.
        session.execute(sa.delete(CaseloadAck).where(CaseloadAck.acknowledged_at < day_start(today)))
        ack(today, 90)
        again = response_times(session, area, first, today, closed=kept)
        fresh = response_times(session, area, first, today)
        assert fresh.acknowledged == [0, 0, 2]
        if session.get_bind().dialect.name == "postgresql":
            assert again == fresh  # PostgreSQL computes them in the statement and keeps nothing
        else:
            assert again.acknowledged == [3, 1, 2]
            assert again.median_minutes[:2] == once.median_minutes[:2]
