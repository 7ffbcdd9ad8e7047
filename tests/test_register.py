"""Self-registration in the browser's form (Flask test client)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from f0monitor.data.models import Patient, User
from f0monitor.domain.clock import today_local

from .conftest import AN_GIANG, LONG_XUYEN, _other_ward, csrf_token


def form_data(client, **overrides):
    today = today_local()
    data = {
        "csrf_token": csrf_token(client, "/register"),
        "full_name": "Trần Thị Hoa",
        "date_of_birth": "1960-04-02",
        "sex": "female",
        "phone": "0913 222 333",
        "password": "mật khẩu dài",
        "national_id": "",
        "province_code": str(AN_GIANG),
        "ward_code": str(LONG_XUYEN),
        "address": "5 Hà Hoàng Hổ",
        "positive_test_date": (today - timedelta(days=1)).isoformat(),
        "test_type": "rapid_antigen",
        "symptom_onset_date": "",
        "comorbidities": ["diabetes", "hypertension"],
        "comorbidities_stable": "y",
        "vaccine_doses": "3",
        "fully_vaccinated": "y",
        "height_cm": "155",
        "weight_kg": "52,5",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_register_creates_patient_and_login(client, session):
    response = client.post("/register", data=form_data(client))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/report")
    patient = session.scalar(sa.select(Patient))
    assert patient.phone == "+84913222333"
    assert patient.comorbidities == ["diabetes", "hypertension"]
    assert patient.weight_kg == 52.5
    assert patient.consent_at is not None
    assert patient.user.role == "patient"
    # 66 years old with a comorbidity: the baseline tier is red from registration.
    assert patient.baseline_tier == "red"
    assert client.get("/home").status_code == 200


def test_second_registration_with_same_phone_is_refused(client, session):
    client.post("/register", data=form_data(client))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/home")})
    response = client.post("/register", data=form_data(client, phone="+84913222333", full_name="Người khác"))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "đã được đăng ký" in text
    assert session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert 'value="Người khác"' in text  # typed values kept


TOMORROW = object()  # the test's own tomorrow


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_of_birth": TOMORROW}, "date_of_birth", "tương lai"),
        ({"positive_test_date": TOMORROW}, "positive_test_date", "tương lai"),
        ({"date_of_birth": "2020-01-10", "positive_test_date": "2019-12-01"}, "positive_test_date", "trước ngày sinh"),
        ({"ward_code": "00004"}, "ward_code", "không thuộc"),
        ({"phone": "12345"}, "phone", "không hợp lệ"),
        ({"consent": None}, "consent", "đồng ý"),
        ({"password": "short"}, "password", "8"),
        ({"full_name": ""}, "full_name", ""),
        ({"date_of_birth": "not a date"}, "date_of_birth", ""),
        ({"weight_kg": "abc"}, "weight_kg", "số"),
        ({"height_cm": "999"}, "height_cm", "250"),
        ({"sex": "male", "pregnant": "y"}, "pregnant", "nam"),
        ({"province_code": "9999"}, "province_code", ""),
    ],
)
def test_bad_input_is_shown_at_the_field_and_nothing_stored(client, session, overrides, field, message):
    # "tomorrow" is taken when the test runs, not when it was collected (a run across midnight)
    tomorrow = (today_local() + timedelta(days=1)).isoformat()
    overrides = {name: tomorrow if value is TOMORROW else value for name, value in overrides.items()}
    response = client.post("/register", data=form_data(client, **overrides))
    text = response.get_data(as_text=True)
    assert response.status_code == 422, text
    assert f'id="{field}-error"' in text
    error = text.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert 'value="5 Hà Hoàng Hổ"' in text  # everything typed is kept
    assert session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 0


def test_ward_list_follows_province_without_javascript(client):
    other_province = 79  # Hồ Chí Minh
    response = client.post(
        "/register", data=form_data(client, province_code=str(other_province), reload_wards="1", ward_code="")
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Phường Sài Gòn" in text
    assert "Phường Long Xuyên" not in text
    assert "field-error" not in text


def test_ward_json_for_javascript(client):
    items = client.get(f"/areas/{AN_GIANG}/wards").get_json()
    assert {"code": LONG_XUYEN, "name": "Phường Long Xuyên"} in items
    assert _other_ward() in {i["code"] for i in items}
    assert client.get("/areas/9999/wards").status_code == 404


def test_registration_page_defaults_to_an_giang(client):
    text = client.get("/register").get_data(as_text=True)
    assert f'<option value="{AN_GIANG}" selected>An Giang</option>' in text
    assert "Phường Long Xuyên" in text


def test_registration_page_has_the_risk_profile_fields(client):
    text = client.get("/register").get_data(as_text=True)
    for label in ("Đái tháo đường", "Đang mang thai", "Số mũi vắc xin COVID-19 đã tiêm", "Cân nặng (kg)"):
        assert label in text
    assert 'name="consent"' in text


def test_password_kept_after_another_field_is_refused(client, session):
    response = client.post("/register", data=form_data(client, consent=None, phone="12345"))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'type="password" autocomplete="new-password" value="mật khẩu dài"' in text
    # Sent again as it comes back: registered, with that password.
    response = client.post("/register", data=form_data(client))
    assert response.status_code == 302
    assert session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 1


def test_password_asked_again_when_it_was_itself_refused(client):
    text = client.post("/register", data=form_data(client, password="short", consent=None)).get_data(as_text=True)
    assert 'id="password-error"' in text
    assert 'value="short"' not in text
