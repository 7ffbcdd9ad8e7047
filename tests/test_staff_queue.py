"""The triage queue: order, flags, filters, search, pagination, the live fragment."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from f0monitor.data.models import Patient
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services.queue import QueueFilters, triage_queue

from .conftest import AN_GIANG, LONG_XUYEN, _other_ward
from .staff_helpers import WARNING, report, sign_in


def _ids(app, user, **filters):
    with app.app_context():
        session = get_session()
        page = triage_queue(session, session.merge(user), QueueFilters(**filters), now=utcnow())
        return [item.patient.id for item in page.items], page


def test_order_alert_then_tier_then_longest_without_report(app, make_patient, make_user):
    now = utcnow()
    doctor = make_user("doctor")
    green_recent = make_patient(full_name="Xanh Gần", now=now - timedelta(hours=1))
    green_old = make_patient(full_name="Xanh Lâu", now=now - timedelta(hours=30))
    # 70 years old with diabetes: a high baseline tier.
    high = make_patient(full_name="Cao Tuổi", date_of_birth=now.date().replace(year=now.year - 70),
                        comorbidities=("diabetes",), now=now - timedelta(hours=2))
    alerted_late = make_patient(full_name="Báo Động Sau")
    alerted_early = make_patient(full_name="Báo Động Trước")
    report(app, green_recent.id, when=now - timedelta(minutes=30), spo2=98)
    report(app, alerted_early.id, when=now - timedelta(minutes=20), **WARNING)
    report(app, alerted_late.id, when=now - timedelta(minutes=5), **WARNING)
    ids, page = _ids(app, doctor)
    assert ids[:2] == [alerted_early.id, alerted_late.id]  # unacknowledged alerts, escalated first
    assert page.items[0].escalated and not page.items[1].escalated
    assert ids.index(high.id) < ids.index(green_old.id)
    # Same tier: the longest without a report first.
    assert ids.index(green_old.id) < ids.index(green_recent.id)
    assert page.total == 5


def test_among_alerts_of_one_tier_more_warning_signs_come_first(app, make_patient, make_user):
    """The queue reads the number of signs in SQL (json_array_length), not the lists."""
    now = utcnow()
    doctor = make_user("doctor")
    one_sign = make_patient(full_name="Một Dấu")
    two_signs = make_patient(full_name="Hai Dấu")
    report(app, one_sign.id, when=now - timedelta(minutes=30), spo2=92, spo2_recheck=92)  # W4 only
    report(app, two_signs.id, when=now - timedelta(minutes=5), **WARNING)  # W4 and W1, later
    ids, page = _ids(app, doctor)
    assert {page.items[0].open_alert.id, page.items[1].open_alert.id} and page.items[0].patient.current_tier == "red"
    assert len(page.items[0].open_alert.reason_codes) > len(page.items[1].open_alert.reason_codes)
    assert ids[:2] == [two_signs.id, one_sign.id]


def test_flags_computed_from_last_report(app, make_patient, make_user):
    now = utcnow()
    doctor = make_user("doctor")
    fresh = make_patient(now=now - timedelta(hours=1))
    overdue = make_patient(now=now - timedelta(hours=13))
    missing = make_patient(now=now - timedelta(hours=25))
    _ids_, page = _ids(app, doctor)
    flags = {item.patient.id: item.flags for item in page.items}
    assert flags[fresh.id] == []
    assert flags[overdue.id] == ["overdue"]
    assert flags[missing.id] == ["missing"]
    assert set(_ids(app, doctor, flag="missing")[0]) == {missing.id}
    assert set(_ids(app, doctor, flag="overdue")[0]) == {overdue.id, missing.id}


def test_filters_tier_ward_assigned_and_scope(app, make_patient, make_user):
    other = _other_ward()
    doctor = make_user("doctor", ward_codes=())
    ward_doctor = make_user("doctor", ward_codes=(LONG_XUYEN,))
    a = make_patient(ward_code=LONG_XUYEN)
    b = make_patient(ward_code=other)
    far = make_patient(province_code=1, ward_code=4)  # Hà Nội: outside every An Giang scope
    assert set(_ids(app, doctor)[0]) == {a.id, b.id}
    assert _ids(app, doctor, ward=other)[0] == [b.id]
    assert _ids(app, ward_doctor)[0] == [a.id]
    assert _ids(app, ward_doctor, ward=other)[0] == []
    assert far.id not in _ids(app, make_user("admin", province_code=AN_GIANG))[0]
    tier = a.current_tier
    assert a.id in _ids(app, doctor, tier=tier)[0]
    with app.app_context():
        session = get_session()
        session.get(Patient, b.id).assigned_to_id = doctor.id
        session.commit()
    assert _ids(app, doctor, assigned_to_me=True)[0] == [b.id]


@pytest.mark.parametrize("query", ["0912 340 077", "+84912340077", "84912340077", "0912340077", "340 077"])
def test_search_by_phone_in_any_format(app, make_patient, make_user, query):
    doctor = make_user("doctor")
    target = make_patient(phone="+84912340077")
    make_patient(phone="+84912340088")
    assert _ids(app, doctor, q=query)[0] == [target.id]


def test_search_by_name_and_pagination(app, make_patient, make_user):
    doctor = make_user("doctor")
    for i in range(7):
        make_patient(full_name=f"Trần Văn {chr(65 + i)}")
    make_patient(full_name="Lê Thị Hoa")
    # Accents and case do not matter: people type names without them on cheap phones.
    for query in ("Lê Thị", "lê thị", "LE THI", "le  thi hoa", "Hoa"):
        assert len(_ids(app, doctor, q=query)[0]) == 1, query
    assert len(_ids(app, doctor, q="tran van")[0]) == 7
    assert len(_ids(app, doctor, q="Lê Văn")[0]) == 0
    assert len(_ids(app, doctor, q="Văn%_")[0]) == 0  # LIKE wildcards are escaped
    first, page = _ids(app, doctor, per_page=3, page=1)
    second, _p = _ids(app, doctor, per_page=3, page=3)
    assert page.total == 8 and page.pages == 3
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)


def test_queue_page_and_live_fragment_show_a_new_alert(app, client, make_patient, make_user):
    doctor = make_user("doctor")
    calm = make_patient(full_name="Bình Thường")
    sick = make_patient(full_name="Khó Thở")
    sign_in(client, doctor)
    page = client.get("/staff/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Khó Thở" in html and 'id="queue-live"' in html and "js/queue.js" in html
    assert 'aria-live="assertive"' in html
    assert 'data-alert-ids=""' in html and "data-alert-id=" not in html  # no alert yet
    assert f'data-patient-id="{calm.id}"' in html and f'data-patient-id="{sick.id}"' in html
    alert = report(app, sick.id, **WARNING)
    live = client.get("/staff/queue/live")
    assert live.status_code == 200
    body = live.get_data(as_text=True)
    assert f'data-alert-ids="{alert.id}"' in body
    assert body.index("Khó Thở") < body.index("Bình Thường")
    assert f'data-alert-id="{alert.id}"' in body
    assert "<html" not in body  # a fragment, not a page
    # The alert marks the sick patient's row only; the calm patient's row carries none.
    rows = {int(pid): css for css, pid in re.findall(r'<tr class="([^"]*)" data-patient-id="(\d+)"', body)}
    assert rows.keys() == {calm.id, sick.id}
    assert "row-alert" in rows[sick.id] and "row-alert" not in rows[calm.id]
    assert re.search(rf'data-patient-id="{calm.id}"\s*>', body)  # no data-alert-id


NO_MATCH = "Không có người bệnh nào phù hợp."  # "No patient matches." (the default locale)


def test_bad_filter_values_are_ignored(client, make_user, make_patient):
    first = make_patient(full_name="Phan Văn Một")
    second = make_patient(full_name="Đỗ Thị Hai")
    sign_in(client, make_user("volunteer"))
    # A valid filter does filter here (nobody is missing yet), so the page can show it...
    live = client.get("/staff/queue/live?flag=missing").get_data(as_text=True)
    assert 'data-total="0"' in live and NO_MATCH in live
    assert 'value="missing" selected' in client.get("/staff/?flag=missing").get_data(as_text=True)
    # ...while a value that makes no sense is dropped: the whole queue, page 1, nothing selected.
    for qs in ("tier=purple", "ward=abc", "flag=x", "page=-4", "page=zz", "per_page=100000",
               "per_page=0", "tier=purple&flag=x&ward=abc&page=zz"):
        page = client.get("/staff/?" + qs)
        live = client.get("/staff/queue/live?" + qs)
        assert page.status_code == 200 and live.status_code == 200, qs
        html, body = page.get_data(as_text=True), live.get_data(as_text=True)
        for text in (html, body):
            assert "Phan Văn Một" in text and "Đỗ Thị Hai" in text, qs
            assert f'data-patient-id="{first.id}"' in text and f'data-patient-id="{second.id}"' in text
            assert 'data-total="2"' in text and NO_MATCH not in text, qs
            assert 'class="pager"' not in text, qs  # one page of 2: per_page never became 0
        assert " selected>" not in html, qs  # no tier, flag or ward option taken from the junk


def test_search_text_never_goes_into_the_url(app, make_patient, make_user):
    """Decree 13/2023: a searched name or phone must not land in URLs, history or logs."""
    from .conftest import csrf_token, login

    doctor = make_user("doctor")
    make_patient(full_name="Nguyễn Thị Lan", phone="+84912340555")
    make_patient(full_name="Trần Văn Bình")
    client = app.test_client()
    login(client, doctor.phone)
    response = client.post("/staff/", data={"csrf_token": csrf_token(client, "/staff/"), "q": "nguyen lan",
                                            "tier": "green"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "nguyen" not in location.lower() and "q=" not in location and "tier=green" in location
    page = client.get(location).get_data(as_text=True)
    assert "Nguyễn Thị Lan" in page and "Trần Văn Bình" not in page
    live = client.get("/staff/queue/live").get_data(as_text=True)  # the polling keeps the search
    assert "Nguyễn Thị Lan" in live and "Trần Văn Bình" not in live
    cleared = client.post("/staff/", data={"csrf_token": csrf_token(client, "/staff/"), "clear": "1"})
    assert "Trần Văn Bình" in client.get(cleared.headers["Location"]).get_data(as_text=True)


def test_a_page_past_the_end_shows_the_last_page(app, make_patient, make_user):
    """A queue open on page 3 that shrank, or a search with fewer matches than that page, shows
    its last page: never "No patient matches" over patients who are there."""
    from .conftest import csrf_token, login

    doctor = make_user("doctor")
    make_patient(full_name="Nguyễn Thị Lan")
    make_patient(full_name="Trần Văn Bình")
    client = app.test_client()
    login(client, doctor.phone)
    for url in ("/staff/?page=3", "/staff/queue/live?page=3"):
        html = client.get(url).get_data(as_text=True)
        assert "Nguyễn Thị Lan" in html and "Trần Văn Bình" in html, url
        assert "Không có người bệnh nào phù hợp" not in html and "No patient matches" not in html, url
    client.post("/staff/", data={"csrf_token": csrf_token(client, "/staff/"), "q": "nguyen lan"})
    html = client.get("/staff/?page=4").get_data(as_text=True)
    assert "Nguyễn Thị Lan" in html and "Trần Văn Bình" not in html
    client.post("/staff/", data={"csrf_token": csrf_token(client, "/staff/"), "q": "zzz"})
    html = client.get("/staff/?page=4").get_data(as_text=True)
    assert "Nguyễn Thị Lan" not in html and "Không có người bệnh nào phù hợp" in html  # then it is right


def test_alerts_are_ordered_and_paged_by_the_database(app, make_patient, make_user):
    """More alerts than a page: each page holds the next ones in the queue's order (tier, more
    signs, oldest, id), the page where they end goes on with the tiers, nobody twice; a patient
    with two open alerts (two reports at once) is one row."""
    from f0monitor.data.models import Alert

    now = utcnow()
    doctor = make_user("doctor")
    alerted = [make_patient(full_name=f"Báo Động {i}") for i in range(7)]
    calm = [make_patient(full_name=f"Bình Thường {i}") for i in range(3)]
    # (tier, signs, minutes ago) of each alerted patient's alert
    shape = [("orange", 1, 50), ("red", 1, 10), ("red", 3, 5), ("yellow", 2, 70), ("red", 1, 40),
             ("orange", 2, 20), ("red", 3, 30)]
    with app.app_context():
        session = get_session()
        for patient, (tier, signs, ago) in zip(alerted, shape, strict=True):
            row = session.get(Patient, patient.id)
            row.current_tier, row.has_open_alert = tier, True
            session.add(Alert(patient_id=patient.id, state="open", reason_codes=["W1", "W2", "W3"][:signs],
                              opened_at=now - timedelta(minutes=ago)))
        # a red one has a second open alert, newer: the first page's three rows hold it twice
        session.add(Alert(patient_id=alerted[2].id, state="open", reason_codes=["W1", "W2", "W3"],
                          opened_at=now - timedelta(minutes=2)))
        session.commit()
    rank = {"red": 0, "orange": 1, "yellow": 2, "green": 3}
    expected = [p.id for p, _s in sorted(zip(alerted, shape, strict=True),
                                         key=lambda ps: (rank[ps[1][0]], -ps[1][1], -ps[1][2], ps[0].id))]
    whole, page = _ids(app, doctor)
    assert whole[:7] == expected and set(whole[7:]) == {p.id for p in calm} and page.total == 10
    pages = [_ids(app, doctor, per_page=3, page=k)[0] for k in (1, 2, 3, 4)]
    assert pages[0] + pages[1] + pages[2] + pages[3] == whole
    assert pages[2][0] == expected[6] and len(pages[3]) == 1
