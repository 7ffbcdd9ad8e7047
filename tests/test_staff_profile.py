"""Staff correct a patient's risk profile: the patient is re-scored at once, and audited."""

from datetime import date

import sqlalchemy as sa

from f0monitor.data.models import AuditEvent, Patient

from .conftest import csrf_token, login


def _post(client, patient_id, **values):
    url = f"/staff/patients/{patient_id}/profile"
    data = {"csrf_token": csrf_token(client, url), "vaccine_doses": "2", "news2_scale": "1", **values}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def test_vaccination_and_comorbidity_change_rescore(client, session, make_patient, make_user):
    patient = make_patient(date_of_birth=date(1958, 1, 1), fully_vaccinated=True)
    assert patient.current_tier == "orange"
    doctor = make_user("doctor")
    login(client, doctor.phone)
    page = client.get(f"/staff/patients/{patient.id}/profile")
    assert page.status_code == 200 and 'name="news2_scale"' in page.get_data(as_text=True)
    response = _post(client, patient.id, comorbidities=["diabetes"], fully_vaccinated="y")
    assert response.status_code == 302
    session.expire_all()
    stored = session.get(Patient, patient.id)
    assert stored.comorbidities == ["diabetes"]
    assert stored.current_tier == "red" and stored.baseline_tier == "red"
    actions = set(session.scalars(sa.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)))
    assert {"view_profile_form", "update_profile"} <= actions


def test_only_a_doctor_sets_news2_scale_2(client, session, make_patient, make_user):
    patient = make_patient()
    volunteer = make_user("volunteer")
    login(client, volunteer.phone)
    assert _post(client, patient.id, news2_scale="2", fully_vaccinated="y").status_code == 302
    session.expire_all()
    assert session.get(Patient, patient.id).news2_scale == 1
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    doctor = make_user("doctor")
    login(client, doctor.phone)
    assert _post(client, patient.id, news2_scale="2", fully_vaccinated="y").status_code == 302
    session.expire_all()
    assert session.get(Patient, patient.id).news2_scale == 2


def test_bad_values_shown_at_field_nothing_changed(client, session, make_patient, make_user):
    patient = make_patient()
    doctor = make_user("doctor")
    login(client, doctor.phone)
    response = _post(client, patient.id, weight_kg="abc", height_cm="400", pregnant="y")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="weight_kg-error"' in text and 'id="height_cm-error"' in text
    assert 'value="abc"' in text
    session.expire_all()
    assert session.get(Patient, patient.id).weight_kg is None


def test_outside_area_is_404(client, make_patient, make_user):
    patient = make_patient()
    other = make_user("doctor", province_code=79)
    login(client, other.phone)
    assert client.get(f"/staff/patients/{patient.id}/profile").status_code == 404


def test_tampered_select_value_is_a_field_error_not_a_500(client, session, make_patient, make_user):
    patient = make_patient()
    doctor = make_user("doctor")
    login(client, doctor.phone)
    response = _post(client, patient.id, vaccine_doses="abc", news2_scale="9")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="vaccine_doses-error"' in text
    session.expire_all()
    assert session.get(Patient, patient.id).vaccine_doses == 3  # unchanged
