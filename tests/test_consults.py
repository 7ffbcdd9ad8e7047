"""Consult requests: ask (public and patient), emergencies to 115, answer, forward, counts."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from f0monitor.data.models import ConsultRequest
from f0monitor.data.session import get_session
from f0monitor.domain.clock import VN_TZ
from f0monitor.services.consults import in_consult_hours, next_slot_start

from .conftest import AN_GIANG, LONG_XUYEN, _other_ward, csrf_token, login


def _ask(client, **data):
    values = {"category": "medical", "question": "Con tôi sốt 38,5 độ, có cần đi viện?",
              "phone": "0912 345 670", "name": "Lê Văn A", "province_code": str(AN_GIANG),
              "ward_code": str(LONG_XUYEN)}
    values.update(data)
    return client.post("/ask", data={"csrf_token": csrf_token(client, "/ask"), **values})


def _count(app):
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(ConsultRequest))


def test_ask_page_shows_hours_and_115(client):
    html = client.get("/ask").get_data(as_text=True)
    assert "09:00–11:00" in html and "15:00–17:00" in html and "19:00–21:00" in html
    assert 'href="tel:115"' in html


def test_public_question_is_queued_with_a_normalised_phone(client, app):
    r = _ask(client)
    assert r.status_code == 200
    with app.app_context():
        row = get_session().scalar(sa.select(ConsultRequest))
        assert (row.phone, row.state, row.ward_code, row.patient_id) == ("+84912345670", "open", LONG_XUYEN, None)


def test_emergency_is_not_queued(client, app):
    r = _ask(client, category="emergency")
    assert r.status_code == 200 and 'href="tel:115"' in r.get_data(as_text=True)
    assert _count(app) == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"question": "  "}, "question", "hãy viết câu hỏi"),
        ({"question": "x" * 2001}, "question", "tối đa 2000 ký tự"),
        ({"phone": "123"}, "phone", "số điện thoại không hợp lệ (ví dụ 0912 345 678)"),
        ({"category": ""}, "category", "chọn một chủ đề"),
        ({"category": "gossip"}, "category", "chọn một chủ đề"),
        ({"province_code": "x"}, "province_code", "chọn tỉnh/thành phố"),
        (
            {"ward_code": str(_other_ward()), "province_code": "79"},
            "ward_code",
            "phường/xã này không thuộc tỉnh/thành phố đã chọn",
        ),
    ],
)
def test_bad_input_is_refused_at_the_field_and_kept(client, app, data, field, message):
    r = _ask(client, **data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    # The one field at fault carries its own message (and only it), tied to it for screen readers.
    errors = re.findall(r'<p class="field-error" id="([^"]+)-error" role="alert">(.*?)</p>', html, re.S)
    assert errors == [(field, message)]
    marked = re.search(rf'id="{field}"[^>]*(aria-invalid="true"|has-error)', html)
    assert marked and f'aria-describedby="{field}-error"' in html
    assert "Lê Văn A" in html  # what was typed is kept
    assert _count(app) == 0


def test_csrf_is_required(client, app):
    r = client.post("/ask", data={"category": "medical", "question": "q", "phone": "0912345670", "province_code": str(AN_GIANG)})
    assert r.status_code == 400 and _count(app) == 0


@pytest.fixture
def app_config():
    return {"CONSULT_LIMIT": "4 per minute"}


def test_ask_is_rate_limited(client):
    codes = [_ask(client).status_code for _ in range(5)]
    assert codes[:4] == [200] * 4 and codes[4] == 429


def test_patient_question_answer_shows_on_their_page(client, app, make_patient, make_user):
    p = make_patient(login=True)
    login(client, p.phone)
    r = _ask(client, phone="", name="", question="Khi nào tôi được xét nghiệm lại?", category="testing")
    assert r.status_code == 200
    with app.app_context():
        row = get_session().scalar(sa.select(ConsultRequest))
        assert row.patient_id == p.id and row.phone == p.phone
        cid = row.id
    staff = app.test_client()
    login(staff, make_user("volunteer").phone)
    assert "Khi nào tôi" in staff.get("/staff/consults").get_data(as_text=True)
    url = f"/staff/consults/{cid}"
    r = staff.post(url, data={"csrf_token": csrf_token(staff, url), "do": "answer", "answer": ""})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert re.search(r'<p class="field-error" id="answer-error" role="alert">[^<]+</p>', html)
    assert 'class="field radios" id="forwarded_to"' in html  # only the answer is at fault
    with app.app_context():
        row = get_session().get(ConsultRequest, cid)
        assert (row.state, row.answer, row.handled_at) == ("open", None, None)  # nothing stored
    r = staff.post(url, data={"csrf_token": csrf_token(staff, url), "do": "answer", "answer": "Từ ngày thứ 7."})
    assert r.status_code == 303
    # Someone else answering the same request again is told it is already handled.
    r = staff.post(url, data={"csrf_token": csrf_token(staff, url), "do": "forward", "forwarded_to": "cdc"})
    assert r.status_code == 303
    with app.app_context():
        assert get_session().get(ConsultRequest, cid).answer == "Từ ngày thứ 7."
    # The patient-home partial shows the answer.
    with app.test_request_context():
        from flask import render_template

        from f0monitor.data.models import Patient

        html = render_template("patients/_consults.html", patient=get_session().get(Patient, p.id))
    assert "Từ ngày thứ 7." in html


def test_forward_counts_and_scope(client, app, make_user):
    for q in ("a", "b", "c"):
        _ask(client, question=q, phone=f"091234567{len(q) + ord(q) % 3}")
    _ask(client, question="elsewhere", ward_code=str(_other_ward()), phone="0912345600")
    with app.app_context():
        ids = get_session().scalars(sa.select(ConsultRequest.id).order_by(ConsultRequest.id)).all()
    coord = app.test_client()
    login(coord, make_user("coordinator", ward_codes=[LONG_XUYEN]).phone)
    assert coord.get(f"/staff/consults/{ids[3]}").status_code == 404  # another ward
    url = f"/staff/consults/{ids[0]}"
    r = coord.post(url, data={"csrf_token": csrf_token(coord, url), "do": "forward", "forwarded_to": "moon"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'class="field radios has-error" id="forwarded_to"' in html and 'id="answer-error"' not in html
    with app.app_context():
        row = get_session().get(ConsultRequest, ids[0])
        assert (row.state, row.forwarded_to, row.handled_at) == ("open", None, None)  # nothing stored
    r = coord.post(url, data={"csrf_token": csrf_token(coord, url), "do": "forward", "forwarded_to": "ward_station"})
    assert r.status_code == 303
    url = f"/staff/consults/{ids[1]}"
    coord.post(url, data={"csrf_token": csrf_token(coord, url), "do": "answer", "answer": "ok"})
    html = coord.get("/staff/consults/stats").get_data(as_text=True)
    assert "<strong>3</strong>" in html  # three requests in the coordinator's ward
    with app.app_context():
        from f0monitor.data.models import User
        from f0monitor.services.consults import counts

        session = get_session()
        user = session.scalar(sa.select(User).where(User.role == "coordinator"))
        data = counts(session, user)
    assert data["totals"] == {"open": 1, "answered": 1, "forwarded": 1, "total": 3}
    assert data["by_target"]["ward_station"] == 1
    volunteer = app.test_client()
    login(volunteer, make_user("volunteer").phone)
    assert volunteer.get("/staff/consults/stats").status_code == 403


@pytest.mark.parametrize(
    ("hour", "minute", "open_", "next_hour"),
    [(8, 59, False, 9), (9, 0, True, 9), (10, 59, True, 10), (11, 0, False, 15), (17, 30, False, 19), (21, 0, False, 9)],
)
def test_consult_hours(hour, minute, open_, next_hour):
    now = datetime(2026, 11, 22, hour, minute, tzinfo=VN_TZ)
    assert in_consult_hours(now) is open_
    assert next_slot_start(now).hour == next_hour
