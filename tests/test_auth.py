"""Login, logout, password change, throttling and CSRF."""

import sqlalchemy as sa

from f0monitor.data.models import User

from .conftest import PASSWORD, csrf_token, login


def test_login_with_vietnamese_formats(client, make_patient):
    make_patient(login=True, phone="+84912000111")
    response = login(client, "0912 000 111")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")


def test_wrong_password_is_refused_with_a_message(client, make_patient):
    make_patient(login=True, phone="+84912000112")
    response = login(client, "0912000112", "wrong password")
    assert response.status_code == 200
    assert "không đúng" in response.get_data(as_text=True)  # Vietnamese by default
    assert client.get("/home").status_code == 302  # still anonymous


def test_login_requires_csrf(client, make_patient):
    make_patient(login=True, phone="+84912000113")
    response = client.post("/login", data={"phone": "0912000113", "password": PASSWORD})
    assert response.status_code == 400


def test_failed_logins_are_throttled_per_phone(client, make_patient):
    make_patient(login=True, phone="+84912000114")
    for _ in range(5):
        assert login(client, "0912000114", "nope").status_code == 200
    # Another spelling of the same number does not dodge the limit.
    assert login(client, "+84 912 000 114", "nope").status_code == 429
    # ...and blocks the right password too, until the window passes.
    assert login(client, "0912000114").status_code == 429


def test_successful_logins_do_not_count(client, make_patient):
    make_patient(login=True, phone="+84912000115")
    for _ in range(7):
        assert login(client, "0912000115").status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})


def test_logout_needs_post_and_ends_session(client, make_patient):
    make_patient(login=True, phone="+84912000116")
    login(client, "0912000116")
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/home")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/home").status_code == 302


def test_password_change_ends_other_sessions(app, make_patient):
    make_patient(login=True, phone="+84912000117")
    first, second = app.test_client(), app.test_client()
    login(first, "0912000117")
    login(second, "0912000117")
    token = csrf_token(first, "/account/password")
    response = first.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a new secret 2", "confirm": "a new secret 2", "csrf_token": token},
    )
    assert response.status_code == 302
    assert first.get("/home").status_code == 200
    assert second.get("/home").status_code == 302  # logged out by the change
    assert login(app.test_client(), "0912000117", "a new secret 2").status_code == 302


def test_password_change_rejects_short_and_mismatch(client, make_patient):
    make_patient(login=True, phone="+84912000118")
    login(client, "0912000118")
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "short", "confirm": "other", "csrf_token": token},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "8" in text and "khác nhau" in text


def test_passwords_are_hashed(app, make_patient, session):
    make_patient(login=True, phone="+84912000119")
    stored = session.scalar(sa.select(User.password_hash).where(User.phone == "+84912000119"))
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_open_redirect_refused(client, make_patient):
    make_patient(login=True, phone="+84912000120")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x", data={"phone": "0912000120", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"].endswith("/home")


def test_language_switch_is_remembered_for_the_user(app, make_patient):
    make_patient(login=True, phone="+84912000121")
    client = app.test_client()
    login(client, "0912000121")
    assert "Ngày" in client.get("/home").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_token(client, "/home"), "next": "/home"})
    assert "Day" in client.get("/home").get_data(as_text=True)
    other = app.test_client()  # a new device: the account remembers English
    login(other, "0912000121")
    assert "Day" in other.get("/home").get_data(as_text=True)


def test_failed_logins_are_throttled_per_address(app, client, make_patient):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for i in range(3):
        assert login(client, f"091200013{i}", "nope").status_code == 200  # three different phones
    assert login(client, "0912000139", "nope").status_code == 429
    # Another address is not blocked.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert login(other, "0912000139", "nope").status_code == 200


def test_api_token_route_is_throttled_too(client, make_patient):
    make_patient(login=True, phone="+84912000140")
    for _ in range(5):
        assert client.post("/api/v1/tokens", json={"phone": "0912000140", "password": "no"}).status_code == 401
    response = client.post("/api/v1/tokens", json={"phone": "0912000140", "password": PASSWORD})
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited" and "Retry-After" in response.headers
