"""Admin pages and the create-user command: create and deactivate staff, the audit trail."""

from __future__ import annotations

import sqlalchemy as sa

from f0monitor.data.models import User
from f0monitor.data.session import get_session

from .conftest import AN_GIANG, LONG_XUYEN, PASSWORD, api_token, login
from .staff_helpers import sign_in


def _user(app, phone):
    with app.app_context():
        return get_session().scalar(sa.select(User).where(User.phone == phone))


def test_admin_creates_staff_with_bad_input_first(app, client, make_user):
    admin = make_user("admin")
    token = sign_in(client, admin)
    form = {"csrf_token": token, "role": "volunteer", "full_name": "Ngô Văn Tình", "phone": "0912 777 888",
            "province_code": str(AN_GIANG), "ward_codes": [str(LONG_XUYEN)], "max_patients": "abc",
            "password": "short"}
    bad = client.post("/staff/admin/users", data=form)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="max_patients-error"' in html and 'id="password-error"' in html and "Ngô Văn Tình" in html
    assert _user(app, "+84912777888") is None
    ok = client.post("/staff/admin/users", data={**form, "max_patients": "40", "password": "một mật khẩu dài"})
    assert ok.status_code == 303
    user = _user(app, "+84912777888")
    assert user.role == "volunteer" and user.ward_codes == [LONG_XUYEN] and user.max_patients == 40
    dup = client.post("/staff/admin/users", data={**form, "max_patients": "", "password": "một mật khẩu dài"})
    assert dup.status_code == 422 and 'id="phone-error"' in dup.get_data(as_text=True)


def test_deactivation_ends_sessions_and_tokens(app, client, make_user):
    admin = make_user("admin")
    doctor = make_user("doctor")
    doctor_client = app.test_client()
    login(doctor_client, doctor.phone)
    assert doctor_client.get("/staff/").status_code == 200
    headers = api_token(app.test_client(), doctor.phone)
    token = sign_in(client, admin)
    assert client.post(f"/staff/admin/users/{admin.id}/deactivate", data={"csrf_token": token}).status_code == 303
    assert _user(app, admin.phone).is_active_account  # not oneself
    assert client.post(f"/staff/admin/users/{doctor.id}/deactivate", data={"csrf_token": token}).status_code == 303
    row = _user(app, doctor.phone)
    assert not row.is_active_account and row.session_version == 2
    assert doctor_client.get("/staff/").status_code == 302  # the old session is gone
    assert app.test_client().get("/api/v1/queue", headers=headers).status_code == 401
    assert client.post(f"/staff/admin/users/{doctor.id}/reactivate", data={"csrf_token": token}).status_code == 303
    assert _user(app, doctor.phone).is_active_account


def test_admin_of_another_province_cannot_touch_accounts(client, make_user):
    doctor = make_user("doctor")
    token = sign_in(client, make_user("admin", province_code=1))
    assert client.post(f"/staff/admin/users/{doctor.id}/deactivate", data={"csrf_token": token}).status_code == 404


def test_audit_trail_page(app, client, make_patient, make_user):
    patient = make_patient()
    doctor = make_user("doctor", full_name="BS. Hồ Thị Tâm")
    sign_in(client, doctor)
    client.get(f"/staff/patients/{patient.id}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    admin_client = app.test_client()
    sign_in(admin_client, make_user("admin"))
    html = admin_client.get(f"/staff/admin/patients/{patient.id}/audit").get_data(as_text=True)
    assert "BS. Hồ Thị Tâm" in html and "10.9.8.7" in html and "view" in html


def test_create_user_command(app, runner):
    result = runner.invoke(args=["create-user", "--role", "coordinator", "--phone", "0913 000 111",
                                 "--name", "Lâm Điều Phối", "--province", str(AN_GIANG),
                                 "--ward", str(LONG_XUYEN), "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    user = _user(app, "+84913000111")
    assert user.role == "coordinator" and user.ward_codes == [LONG_XUYEN]
    again = runner.invoke(args=["create-user", "--role", "doctor", "--phone", "0913000111", "--name", "X Y",
                                "--province", str(AN_GIANG), "--password", PASSWORD])
    assert again.exit_code != 0 and "already exists" in again.output
    weak = runner.invoke(args=["create-user", "--role", "doctor", "--phone", "0913000222", "--name", "X Y",
                               "--province", str(AN_GIANG), "--password", "1"])
    assert weak.exit_code != 0 and "--password" in weak.output
    prompted = runner.invoke(args=["create-user", "--role", "admin", "--phone", "0913000333", "--name", "Quản Trị",
                                   "--province", str(AN_GIANG)], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
