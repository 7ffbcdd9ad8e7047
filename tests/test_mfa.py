"""Issue 9, item 3: TOTP (RFC 6238) for staff, with STAFF_MFA = "required" (production).

Doctors, coordinators, the department and admins must enrol; volunteers may; patients never
need it. A code is asked on a second page after the password, and in the same request as
``otp`` by POST /api/v1/tokens. Recovery codes work once; an admin can reset a lost factor.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from f0monitor.data.models import AuditEvent, RecoveryCode, User
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow
from f0monitor.services import mfa

from .conftest import PASSWORD, csrf_token, login


@pytest.fixture
def app_config():
    return {"STAFF_MFA": "required"}


def enrol(app, user_id: int) -> tuple[str, list[str]]:
    """Give an account a second factor through the service; return the secret and codes.

    The code confirmed is the previous step's, so that the current one is still unused.
    """
    secret = mfa.new_secret()
    with app.app_context():
        db = get_session()
        earlier = utcnow() - timedelta(seconds=30)
        codes = mfa.enable(db, db.get(User, user_id), secret, pyotp.TOTP(secret).at(earlier), now=earlier)
        db.commit()
    return secret, codes


def _code(client, code):
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})


def test_a_doctor_must_enrol_before_anything_else(app, client, make_user, session):
    doctor = make_user("doctor", phone="+84908000701")
    assert login(client, "0908000701").status_code == 302
    staff_page = client.get("/staff/")
    assert staff_page.status_code == 302 and staff_page.headers["Location"].endswith("/account/mfa")
    page = client.get("/account/mfa")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html  # the QR code, drawn by qrcode
    secret = re.search(r'<code class="code" translate="no">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    wrong = client.post("/account/mfa", data={"code": "000000", "csrf_token": token})
    assert 'id="code-error"' in wrong.get_data(as_text=True)
    done = client.post("/account/mfa", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    codes = re.findall(r'<code class="code">([0-9a-f]{8}-[0-9a-f]{8})</code>', done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    assert client.get("/staff/").status_code == 200
    stored = session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == doctor.id)).all()
    assert len(stored) == 10 and not any(c.replace("-", "") in stored for c in codes)  # hashed
    assert session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "mfa_enabled"))


def test_login_asks_the_code_after_the_password(app, client, make_user):
    doctor = make_user("coordinator", phone="+84908000702")
    secret, _codes = enrol(app, doctor.id)
    first = login(client, "0908000702")
    assert first.status_code == 303 and first.headers["Location"].endswith("/login/code")
    assert client.get("/staff/").status_code == 302  # not logged in yet
    assert "mã" in client.get("/login/code").get_data(as_text=True).lower()
    assert 'id="code-error"' in _code(client, "123456").get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    assert _code(client, code).status_code == 302
    assert client.get("/staff/").status_code == 200
    # The same code is never accepted twice (it may have been seen over a shoulder).
    other = app.test_client()
    login(other, "0908000702")
    assert _code(other, code).status_code == 200
    assert other.get("/staff/").status_code == 302


def test_a_recovery_code_works_once(app, make_user):
    admin = make_user("admin", phone="+84908000703")
    _secret, codes = enrol(app, admin.id)
    client = app.test_client()
    login(client, "0908000703")
    assert _code(client, codes[0].upper()).status_code == 302
    again = app.test_client()
    login(again, "0908000703")
    assert _code(again, codes[0]).status_code == 200
    assert again.get("/staff/").status_code == 302


def test_the_code_step_expires(app, client, make_user):
    make_user("doctor", phone="+84908000704")
    secret, _ = enrol(app, get_user_id(app, "+84908000704"))
    app.config["MFA_PENDING_SECONDS"] = -1
    login(client, "0908000704")
    late = client.post("/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(client, "/login")})
    assert late.headers["Location"].endswith("/login")
    assert client.get("/staff/").status_code == 302


def get_user_id(app, phone):
    with app.app_context():
        return get_session().scalar(sa.select(User.id).where(User.phone == phone))


def test_token_needs_otp_for_staff_with_the_factor(app, client, make_user, make_patient):
    doctor = make_user("doctor", phone="+84908000705")
    secret, _ = enrol(app, doctor.id)
    missing = client.post("/api/v1/tokens", json={"phone": "0908000705", "password": PASSWORD})
    assert missing.status_code == 401
    error = missing.get_json()["error"]
    assert error["code"] == "otp_required" and "otp" in error["fields"]
    wrong = client.post("/api/v1/tokens", json={"phone": "0908000705", "password": PASSWORD, "otp": "000000"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid_otp"
    ok = client.post("/api/v1/tokens", json={
        "phone": "0908000705", "password": PASSWORD, "otp": pyotp.TOTP(secret).now()})
    assert ok.status_code == 201 and ok.get_json()["role"] == "doctor"
    # A doctor who has not enrolled gets no token: the JSON error names the field.
    make_user("doctor", phone="+84908000706")
    refused = client.post("/api/v1/tokens", json={"phone": "0908000706", "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "mfa_enrolment_required"
    assert "otp" in refused.get_json()["error"]["fields"]
    # Volunteers may go without; patients never need it.
    make_user("volunteer", phone="+84908000707")
    assert client.post("/api/v1/tokens", json={"phone": "0908000707", "password": PASSWORD}).status_code == 201
    make_patient(login=True, phone="+84912000708")
    assert client.post("/api/v1/tokens", json={"phone": "0912000708", "password": PASSWORD}).status_code == 201


def test_a_volunteer_is_not_forced_to_enrol(client, make_user):
    make_user("volunteer", phone="+84908000709")
    login(client, "0908000709")
    assert client.get("/staff/").status_code == 200


def test_admin_resets_a_lost_factor_and_it_is_audited(app, make_user, session):
    from .staff_helpers import sign_in

    admin = make_user("admin", phone="+84908000710")
    doctor = make_user("doctor", phone="+84908000711")
    secret, _ = enrol(app, doctor.id)
    enrol(app, admin.id)
    doctor_browser = app.test_client()
    login(doctor_browser, "0908000711")
    _code(doctor_browser, pyotp.TOTP(secret).now())
    assert doctor_browser.get("/staff/").status_code == 200

    client = app.test_client()
    token = sign_in(client, admin)
    assert client.post(f"/staff/admin/users/{doctor.id}/mfa-reset", data={"csrf_token": token}).status_code == 303
    session.expire_all()
    row = session.get(User, doctor.id)
    assert row.mfa_secret is None and row.mfa_enabled_at is None
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "mfa_reset"))
    assert event.user_id == admin.id and f"account={doctor.id}" in event.detail
    assert doctor_browser.get("/staff/").status_code == 302  # the lost phone's session ended
    # Next login: password only, then straight to enrolment.
    fresh = app.test_client()
    assert login(fresh, "0908000711").status_code == 302
    assert fresh.get("/staff/").headers["Location"].endswith("/account/mfa")


def test_an_admin_of_another_province_cannot_reset(app, make_user):
    from .staff_helpers import sign_in

    other_admin = make_user("admin", province_code=1, phone="+84908000712")
    doctor = make_user("doctor", phone="+84908000713")
    enrol(app, doctor.id)
    enrol(app, other_admin.id)
    client = app.test_client()
    token = sign_in(client, other_admin)
    assert client.post(f"/staff/admin/users/{doctor.id}/mfa-reset", data={"csrf_token": token}).status_code == 404


def test_a_required_role_cannot_turn_it_off(app, client, make_user):
    doctor = make_user("doctor", phone="+84908000714")
    secret, _ = enrol(app, doctor.id)
    login(client, "0908000714")
    _code(client, pyotp.TOTP(secret).now())
    token = csrf_token(client, "/account/security")
    client.post("/account/mfa/disable", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    with app.app_context():
        assert get_session().get(User, doctor.id).mfa_enabled_at is not None


@pytest.mark.parametrize("setting, asked", [("off", False), ("optional", True)])
def test_the_setting(app, make_user, setting, asked):
    app.config["STAFF_MFA"] = setting
    enrolled = make_user("doctor", phone="+84908000715")
    enrol(app, enrolled.id)
    response = login(app.test_client(), "0908000715")
    assert response.headers["Location"].endswith("/login/code") is asked
    make_user("doctor", phone="+84908000716")
    bare = app.test_client()
    login(bare, "0908000716")
    assert bare.get("/staff/").status_code == 200  # not required: no enrolment gate


def test_an_unknown_setting_is_refused_at_start(db_url, tmp_path):
    from f0monitor import create_app

    with pytest.raises(ValueError, match="STAFF_MFA"):
        create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": db_url, "STAFF_MFA": "yes"},
                   instance_path=str(tmp_path))


def test_token_only_accounts_never_log_in_to_pages(app, make_user):
    """Service accounts (TOKEN_ONLY_ROLES: `integration` when that role exists) use tokens only."""
    app.config["TOKEN_ONLY_ROLES"] = ("volunteer",)
    make_user("volunteer", phone="+84908000717")
    client = app.test_client()
    assert login(client, "0908000717").status_code == 403
    assert client.get("/staff/").status_code == 302
    assert client.post("/api/v1/tokens", json={"phone": "0908000717", "password": PASSWORD}).status_code == 201


def test_reset_mfa_command_for_the_last_admin(app, runner, make_user):
    admin = make_user("admin", phone="+84908000720")
    enrol(app, admin.id)
    result = runner.invoke(args=["reset-mfa", "--phone", "0908000720"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not mfa.is_enrolled(get_session().get(User, admin.id))
        assert get_session().scalar(sa.select(AuditEvent.detail).where(AuditEvent.action == "mfa_reset")).endswith("by=command")
    assert runner.invoke(args=["reset-mfa", "--phone", "0908000799"]).exit_code != 0


def test_make_run_lets_the_demo_staff_log_in_with_a_password(tmp_path):
    """`make run` adds STAFF_MFA = "optional" to the demo instance, also to an older config."""
    import shutil
    import subprocess
    import sys

    from f0monitor import PROJECT_ROOT, create_app

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(PROJECT_ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text('SECRET_KEY = "made before"\n')
    for _ in range(2):  # twice: the line is added once
        subprocess.run(["make", "-s", "demo-mfa", f"PY={sys.executable}"], cwd=tmp_path, check=True,
                       capture_output=True, timeout=60)
    text = (tmp_path / "instance" / "config.py").read_text()
    assert text.count("STAFF_MFA") == 1
    app = create_app(instance_path=str(tmp_path / "instance"))
    assert app.config["STAFF_MFA"] == "optional"
