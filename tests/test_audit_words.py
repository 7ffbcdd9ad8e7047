"""The audit trail and the workload speak in words, in Vietnamese first."""

from __future__ import annotations

from .staff_helpers import sign_in


def test_audit_trail_shows_actions_and_roles_in_words(client, make_user, make_patient):
    patient = make_patient()
    doctor = make_user("doctor", full_name="BS. Đọc Hồ Sơ")
    sign_in(client, doctor)
    assert client.get(f"/staff/patients/{patient.id}").status_code == 200
    client.post("/logout", data={"csrf_token": sign_in(client, doctor)})
    admin = make_user("admin", locale="vi")
    sign_in(client, admin)
    page = client.get(f"/staff/admin/patients/{patient.id}/audit").get_data(as_text=True)
    assert "Mở hồ sơ" in page and "(Bác sĩ)" in page
    assert "(doctor)" not in page and "Địa chỉ IP" in page


def test_staff_at_their_cap_are_not_out_of_beds(client, make_user, make_patient):
    coordinator = make_user("coordinator", locale="vi")
    volunteer = make_user("volunteer", max_patients=1)
    make_patient()
    from f0monitor.data.models import Patient
    from f0monitor.data.session import get_session

    with client.application.app_context():
        session = get_session()
        session.query(Patient).update({"assigned_to_id": volunteer.id})
        session.commit()
    sign_in(client, coordinator)
    page = client.get("/staff/workload").get_data(as_text=True)
    assert "đã nhận đủ số người bệnh" in page and "hết giường" not in page
