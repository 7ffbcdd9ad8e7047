"""Services return untranslated messages; the edge renders them, the same text as before."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from f0monitor.domain import covid as risk
from f0monitor.domain.text import Msg
from f0monitor.http.labels import render, render_fields
from f0monitor.services import inputs
from f0monitor.services.staff_users import StaffInput, check_staff

SPO2 = risk.INPUT_RANGES["spo2"]
LOW, HIGH = int(SPO2.low), int(SPO2.high)
NOT_WHOLE = {
    "en": f"must be a whole number (must be between {LOW} and {HIGH})",
    "vi": f"phải là số nguyên (phải nằm trong khoảng {LOW} và {HIGH})",
}


def test_services_return_messages_not_text():
    assert inputs.check_password("1") == [Msg("at least %(n)s characters", n=8)]
    errors = inputs.check_report({"spo2": 30, "note": "x" * 1001}, confirmed=False)
    assert errors["spo2"] == [Msg("must be between %(low)s and %(high)s", low=LOW, high=HIGH)]
    assert errors["note"] == [Msg("at most %(n)s characters", n=1000)]
    staff = check_staff(StaffInput(role="nobody", phone="+84913000999", full_name="X", province_code=0))
    assert staff["role"] == [Msg("choose a role")]
    assert all(isinstance(m, Msg) for messages in staff.values() for m in messages)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_nested_message_renders_its_parameters_first(app, lang):
    message = inputs.vital_message("spo2", "not_integer")
    assert isinstance(message.params["problem"], Msg) and isinstance(message.params["range"], Msg)
    with app.test_request_context(), force_locale(lang):
        assert render(message) == NOT_WHOLE[lang]
        assert render_fields({"spo2": [message, "already text"]}) == {
            "spo2": [NOT_WHOLE[lang], "already text"]
        }


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_api_renders_service_messages_in_the_readers_language(client, lang):
    payload = {"profile": {"date_of_birth": "1990-01-01"}, "report": {"spo2": 97.5}}
    response = client.post("/api/v1/assess", json=payload, headers={"Accept-Language": lang})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["report.spo2"] == [NOT_WHOLE[lang]], fields
