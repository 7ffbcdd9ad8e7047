"""Issue 9, item 1: a password change revokes the account's other sessions and every API token;
one's own sessions and tokens are listed and revoked, on the security page and by API; weak
passwords are refused with a message at the field."""

from __future__ import annotations

import sqlalchemy as sa

from f0monitor.data.models import ApiToken, AuditEvent, LoginSession, User

from .conftest import PASSWORD, api_token, csrf_token, login

NEW = "một mật khẩu dài"


def _change_password(client, new=NEW, current=PASSWORD):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={
        "current_password": current, "new_password": new, "confirm": new, "csrf_token": token,
    })


def test_password_change_revokes_api_tokens_and_other_sessions_but_not_this_one(app, make_patient, session):
    make_patient(login=True, phone="+84912000501")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "0912000501")
    login(elsewhere, "0912000501")
    bearer = api_token(app.test_client(), "0912000501")
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200

    assert _change_password(here).status_code == 302
    assert here.get("/home").status_code == 200  # the browser that changed it stays in
    assert elsewhere.get("/home").status_code == 302  # the other browser is logged out
    # The old bearer token no longer reads the record (it did for 30 days before).
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    user = session.scalar(sa.select(User).where(User.phone == "+84912000501"))
    assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))) == 0
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "password_changed"))
    assert event.user_id == user.id and event.patient_id is None


def test_logging_out_ends_the_session_on_the_server(app, make_patient):
    make_patient(login=True, phone="+84912000502")
    client = app.test_client()
    login(client, "0912000502")
    stolen = client.get_cookie("session").value  # a copy of the cookie, taken before logout
    client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/home").status_code == 302  # the copied cookie is dead too


def test_tokens_are_listed_and_revoked_by_api(app, make_patient):
    make_patient(login=True, phone="+84912000503")
    make_patient(login=True, phone="+84912000504")
    client = app.test_client()
    first = api_token(client, "0912000503")
    second = client.post("/api/v1/tokens", json={
        "phone": "0912000503", "password": PASSWORD, "label": "Zalo mini-app"}).get_json()
    second = {"Authorization": "Bearer " + second["token"]}
    theirs = api_token(client, "0912000504")

    listing = client.get("/api/v1/tokens", headers=first)
    assert listing.status_code == 200
    body = listing.get_json()
    assert body["total"] == 2 and body["page"] == 1
    assert [i["current"] for i in body["items"]] == [False, True]  # newest first
    assert body["items"][0]["label"] == "Zalo mini-app"
    assert all("token" not in i for i in body["items"])
    other_id = body["items"][0]["id"]

    their_id = client.get("/api/v1/tokens", headers=theirs).get_json()["items"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{their_id}", headers=first).status_code == 404
    assert client.get("/api/v1/me", headers=theirs).status_code == 200
    assert client.delete(f"/api/v1/tokens/{other_id}", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=second).status_code == 401
    assert client.delete(f"/api/v1/tokens/{other_id}", headers=first).status_code == 404
    assert client.delete("/api/v1/tokens/current", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=first).status_code == 401
    assert client.get("/api/v1/tokens").status_code == 401


def test_sessions_are_listed_and_ended_by_api(app, make_patient):
    make_patient(login=True, phone="+84912000505")
    browser = app.test_client()
    login(browser, "0912000505")
    bearer = api_token(app.test_client(), "0912000505")
    listing = app.test_client().get("/api/v1/sessions", headers=bearer).get_json()
    assert listing["total"] == 1
    session_id = listing["items"][0]["id"]
    assert app.test_client().delete(f"/api/v1/sessions/{session_id}", headers=bearer).status_code == 204
    assert browser.get("/home").status_code == 302


def test_security_page_lists_and_revokes_sessions_and_tokens(app, make_patient, session):
    make_patient(login=True, phone="+84912000506")
    here, other = app.test_client(), app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 13) Chrome/120.0 Mobile Safari/537.36"
    login(here, "0912000506")
    login(other, "0912000506")
    bearer = api_token(app.test_client(), "0912000506")
    page = here.get("/account/security")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Chrome · Android" in html and "trình duyệt này" in html  # this browser, in Vietnamese
    user = session.scalar(sa.select(User).where(User.phone == "+84912000506"))
    rows = session.scalars(sa.select(LoginSession).where(LoginSession.user_id == user.id)).all()
    other_row = next(r for r in rows if r.label and "Android" in r.label)
    token_row = session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))

    token = csrf_token(here, "/account/security")
    assert here.post(f"/account/sessions/{other_row.id}/revoke", data={"csrf_token": token}).status_code == 303
    assert other.get("/home").status_code == 302
    assert here.post(f"/account/tokens/{token_row.id}/revoke", data={"csrf_token": token}).status_code == 303
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    assert here.get("/home").status_code == 200
    # Without the CSRF token nothing is revoked.
    assert here.post(f"/account/sessions/{other_row.id}/revoke").status_code == 400


def test_log_out_everywhere_else(app, make_patient):
    make_patient(login=True, phone="+84912000507")
    here, other = app.test_client(), app.test_client()
    login(here, "0912000507")
    login(other, "0912000507")
    bearer = api_token(app.test_client(), "0912000507")
    token = csrf_token(here, "/account/security")
    assert here.post("/account/sessions/revoke-others", data={"csrf_token": token}).status_code == 303
    assert other.get("/home").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    assert here.get("/home").status_code == 200


def test_common_passwords_are_refused_with_a_vietnamese_message(client, make_patient):
    make_patient(login=True, phone="+84912000508", full_name="Trần Thị Mai")
    login(client, "0912000508")
    for weak in ("12345678", "password"):
        response = _change_password(client, new=weak)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "mật khẩu phổ biến nhất" in html, weak  # at the field, in Vietnamese
        assert 'id="new_password-error"' in html
    html = _change_password(client, new="tranthimai").get_data(as_text=True)
    assert "số điện thoại hoặc tên" in html  # one's own name is no password
    assert _change_password(client, new="mưa rơi trên phố cũ").status_code == 302


def test_registration_refuses_a_common_password_by_api(client):
    from .test_api_patient import registration

    response = client.post("/api/v1/patients", json=registration(phone="0912000509", password="12345678"))
    assert response.status_code == 422
    assert "mật khẩu phổ biến nhất" in response.get_json()["error"]["fields"]["password"][0]


def test_staff_passwords_need_ten_characters(app, make_user, client):
    from .staff_helpers import sign_in

    admin = make_user("admin")
    token = sign_in(client, admin)
    form = {"csrf_token": token, "role": "doctor", "full_name": "Bác sĩ Lê", "phone": "0912000510",
            "province_code": "91", "password": "sông Hậu 9"[:9]}
    response = client.post("/staff/admin/users", data=form)
    assert response.status_code == 422
    assert "10" in response.get_data(as_text=True)
    form["password"] = "sông Hậu chiều nay"
    assert client.post("/staff/admin/users", data=form).status_code == 303


def test_reset_password_command_ends_every_session_and_token(app, runner, make_user, session):
    make_user("coordinator", phone="+84908000520")
    browser = app.test_client()
    login(browser, "0908000520")
    bearer = api_token(app.test_client(), "0908000520")
    weak = runner.invoke(args=["reset-password", "--phone", "0908000520", "--password", "12345678"])
    assert weak.exit_code != 0 and "10" in weak.output
    result = runner.invoke(args=["reset-password", "--phone", "0908000520", "--password", "đồng hồ treo tường cũ"])
    assert result.exit_code == 0, result.output
    assert browser.get("/staff/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    assert login(app.test_client(), "0908000520", "đồng hồ treo tường cũ").status_code == 302
    assert session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "password_reset"))
