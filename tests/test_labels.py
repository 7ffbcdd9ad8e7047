"""Every reason, chart line and vocabulary label, rendered through Flask-Babel (http/labels.py).

The domain gives codes and parameters only; these tests render them in a request of each
language, as pages and the API do, and compare the stored reasons with the texts the domain
itself produced before the texts moved to Babel (``tests/data/reason_texts.json``).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from flask import Flask
from flask_babel import force_locale

from f0monitor import create_app
from f0monitor.domain import covid as risk
from f0monitor.domain.covid import Profile, Reason, Report, assess
from f0monitor.http import labels
from tests.golden_reason_texts import PATH as GOLDEN_PATH
from tests.labels_helpers import DOMAIN_CODES

LANGS = ("vi", "en")
VIETNAMESE = re.compile("[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]")
GOLDEN = json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))

@pytest.fixture(scope="module")
def render_app() -> Iterator[Flask]:
    """An app for rendering only: no request here touches the database."""
    with tempfile.TemporaryDirectory() as instance:
        yield create_app(
            {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://"},
            instance_path=instance,
        )


@pytest.fixture
def render(render_app: Flask):
    """Return f(function, *args, lang=...) that calls it inside a request in that language."""

    def call(function, *args, lang: str):
        with render_app.test_request_context("/"), force_locale(lang):
            return function(*args)

    return call


def _reason(row: dict) -> Reason:
    """Return a golden row as the Reason the rules build (tuples where JSON has lists)."""
    return Reason(
        row["code"],
        tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in row["params"].items()),
    )


# --- the stored reasons render exactly as before, in both languages --------------------------


def test_domain_code_table_is_read() -> None:
    assert len(DOMAIN_CODES) == 34  # VN-2022.2 added W12 (NEWS2_HIGH stays for stored rows)
    assert {"W1", "W11", "C2", "NEWS2_SINGLE_3", "LOW_RISK", "RECOVERY_NEEDS_NEGATIVE_TEST"} <= DOMAIN_CODES


def test_golden_file_covers_every_code() -> None:
    assert {row["code"] for row in GOLDEN["reasons"]} == DOMAIN_CODES | {"X9"}


@pytest.mark.parametrize("lang", LANGS)
def test_stored_reasons_render_exactly_as_before(render, lang: str) -> None:
    rows = [{"code": row["code"], "params": row["params"]} for row in GOLDEN["reasons"]]
    got = render(labels.render_reasons, rows, lang=lang)
    assert got == [{"code": row["code"], "message": row[lang]} for row in GOLDEN["reasons"]]


@pytest.mark.parametrize("lang", LANGS)
def test_fresh_reasons_render_like_stored_ones(render, lang: str) -> None:
    for row in GOLDEN["reasons"]:
        assert render(labels.reason_text, _reason(row), lang=lang) == row[lang], row["code"]
        assert render(labels.reason_text, row, lang=lang) == row[lang], row["code"]


@pytest.mark.parametrize("lang", LANGS)
def test_chart_lines_render_exactly_as_before(render, lang: str) -> None:
    for chart in GOLDEN["charts"]:
        profile = Profile(date_of_birth=date.fromisoformat(chart["date_of_birth"]))
        thresholds = risk.chart_thresholds(profile, date.fromisoformat(chart["on"]))
        lines = render(labels.chart_lines, thresholds, lang=lang)
        assert {k: [list(line) for line in v] for k, v in lines.items()} == chart[lang], chart["name"]


def test_an_explicit_language_wins_over_the_request(render) -> None:
    row = next(r for r in GOLDEN["reasons"] if r["code"] == "BMI_30")
    assert render(labels.render_reasons, [row], "en", lang="vi")[0]["message"] == row["en"]
    assert render(labels.reason_text, row, "vi", lang="en") == row["vi"]


# --- every code has its own words in each language --------------------------------------------

# One reason per code, with the params the rules give it.
SAMPLE_REASONS = [
    Reason("W1"),
    Reason("W2", (("value", 45), ("limit", 40))),
    Reason("W3", (("value", 94), ("op", "<="), ("limit", 96), ("recheck", False))),
    Reason("W4", (("value", 130), ("op", ">"), ("limit", 120))),
    Reason("W5", (("systolic_bp", 85), ("systolic_limit", 90))),
    *(Reason(f"W{i}") for i in range(6, 11)),
    Reason("W11", (("by", ("patient",)),)),
    Reason("C2", (("temperature_c", 39.4), ("limit", 39.0))),
    Reason(
        "W12",
        (("score", 8), ("complete", True), ("limit", 7), ("parts", (("pulse", 3), ("spo2", 3), ("temperature_c", 2)))),
    ),
    Reason("NEWS2_HIGH", (("score", 8), ("complete", True))),
    Reason("NEWS2_MEDIUM", (("score", 5), ("complete", False))),
    Reason("NEWS2_SINGLE_3", (("parameter", "respiratory_rate"), ("value", 26), ("points", 3))),
    Reason("AGE_65_COMORBID", (("age", 70), ("conditions", ("diabetes",)))),
    Reason("AGE_65_UNVACCINATED", (("age", 70),)),
    Reason("AGE_65_VACCINATED", (("age", 70),)),
    Reason("COMORBIDITY", (("conditions", ("asthma", "hiv")),)),
    Reason("BMI_30", (("bmi", 31.2),)),
    Reason("AGE_50_64_UNVACCINATED", (("age", 55),)),
    Reason("PREGNANT"),
    Reason("POSTPARTUM"),
    Reason("INFANT_UNDER_3_MONTHS", (("months", 1),)),
    Reason("AGE_50_64_VACCINATED", (("age", 55),)),
    Reason("UNVACCINATED"),
    Reason("BMI_25", (("bmi", 26.0),)),
    Reason("LOW_RISK"),
    Reason("ELIG_WARNING_SIGNS", (("codes", ("W1", "W3")),)),
    Reason("ELIG_SEVERITY", (("severity", "severe"),)),
    Reason("ELIG_COMORBIDITY", (("conditions", ("diabetes", "BMI_30")),)),
    Reason("RECOVERY_BEFORE_DAY_7", (("day", 3), ("with_test_day", 7), ("without_test_day", 14))),
    Reason(
        "RECOVERY_NEEDS_NEGATIVE_TEST", (("day", 8), ("with_test_day", 7), ("without_test_day", 10))
    ),
]


def _plain(text: str, lang: str, *, sentence: bool = True) -> None:
    """Check a rendered text: formatted, and in its language (a short word such as "Ho" or
    "cao" may have no Vietnamese letter, so only sentences must have one)."""
    assert text, lang
    assert "{" not in text and "}" not in text and "%(" not in text, text
    if lang == "vi":
        assert VIETNAMESE.search(text.lower()) or not sentence, text
    else:
        assert not VIETNAMESE.search(text.lower()), text


@pytest.mark.parametrize("reason", SAMPLE_REASONS, ids=lambda r: r.code)
def test_every_code_has_vietnamese_and_english_text(render, reason: Reason) -> None:
    vi, en = (render(labels.reason_text, reason, lang=lang) for lang in LANGS)
    assert vi != en
    _plain(vi, "vi")
    _plain(en, "en")
    assert vi != reason.code and en != reason.code  # not the unknown-code fallback
    assert reason.code in DOMAIN_CODES  # documented in the rule set's code table


def test_sample_reasons_cover_every_code() -> None:
    assert {r.code for r in SAMPLE_REASONS} == DOMAIN_CODES
    assert labels.LABELLED_REASON_CODES == DOMAIN_CODES


@pytest.mark.parametrize("lang", LANGS)
def test_unknown_code_message_falls_back_to_the_code(render, lang: str) -> None:
    assert render(labels.reason_text, Reason("X9"), lang=lang) == "X9"
    assert render(labels.render_reasons, [{"code": "X9", "params": {}}], lang=lang) == [
        {"code": "X9", "message": "X9"}
    ]


def test_chart_thresholds_follow_age_bands(render) -> None:
    adult = risk.Profile(date_of_birth=date(1980, 1, 1))
    lines = risk.chart_thresholds(adult, date(2026, 1, 1))
    assert [code for _v, code, _p in lines["pulse"]] == ["W4_high", "W4_low"]
    assert [code for _v, code, _p in lines["temperature_c"]] == ["fever"]
    en = render(labels.chart_lines, lines, lang="en")
    assert en["respiratory_rate"] == ((20, "fast breathing (≥ 20)"),)
    child = risk.Profile(date_of_birth=date(2022, 1, 1))  # 4 years old
    lines = risk.chart_thresholds(child, date(2026, 1, 1))
    assert [code for _v, code, _p in lines["temperature_c"]] == ["fever", "C2"]
    vi = render(labels.chart_lines, lines, lang="vi")
    assert "thở nhanh" in vi["respiratory_rate"][0][1]
    assert [label for _v, label in vi["temperature_c"]] == ["sốt", "sốt cao"]


def test_every_chart_line_code_has_words_in_each_language(render) -> None:
    assert labels.LABELLED_CHART_CODES == set(risk.CHART_LINE_CODES)
    emitted = set()
    for born in (date(2025, 12, 1), date(2022, 1, 1), date(2012, 6, 1), date(1980, 1, 1)):
        for group in risk.chart_thresholds(Profile(date_of_birth=born), date(2026, 1, 1)).values():
            for _value, code, params in group:
                emitted.add(code)
                vi, en = (render(labels.chart_line_label, code, params, lang=lang) for lang in LANGS)
                assert vi != en
                _plain(vi, "vi")
                _plain(en, "en")
    assert emitted == set(risk.CHART_LINE_CODES)


# --- vocabularies: one label per key, in both languages ---------------------------------------


def test_vocabulary_labels_match_the_domain(render) -> None:
    assert tuple(labels.SYMPTOM_LABELS) == risk.SYMPTOMS
    assert tuple(labels.COMORBIDITY_LABELS) == risk.COMORBIDITIES
    assert list(labels.CHECKBOX_SYMPTOM_LABELS) == [
        key for key in risk.SYMPTOMS if key not in risk.WARNING_SYMPTOMS
    ]
    for key in risk.SYMPTOMS:
        vi, en = (render(labels.symptom_label, key, lang=lang) for lang in LANGS)
        assert vi != en and vi != key
        _plain(vi, "vi", sentence=False)
        _plain(en, "en")
    for key in risk.COMORBIDITIES:
        vi, en = (render(labels.comorbidity_label, key, lang=lang) for lang in LANGS)
        assert vi and en and vi != key and en != key
        assert VIETNAMESE.search(vi.lower()) or vi == en == "HIV/AIDS", vi


def test_severity_and_news2_band_labels_cover_the_rules(render) -> None:
    severities = {sev for _upto, sev in risk.RULES["SEVERITY_RR_UPTO"]} | {"asymptomatic", "unknown"}
    assert set(labels.SEVERITY_LABELS) == severities
    assert set(labels.NEWS2_BAND_LABELS) == {"low", "low_medium", "medium", "high"}
    for table in (labels.SEVERITY_LABELS, labels.NEWS2_BAND_LABELS):
        for label in table.values():
            vi, en = (render(str, label, lang=lang) for lang in LANGS)
            assert vi != en
            _plain(vi, "vi", sentence=False)
            _plain(en, "en")


# --- the /api/v1/assess body ------------------------------------------------------------------


def _example() -> tuple[Profile, Report]:
    p = Profile(
        date_of_birth=date(1958, 3, 14),
        sex="male",
        comorbidities=frozenset({"diabetes", "hypertension"}),
        comorbidities_stable=True,
        fully_vaccinated=True,
        height_cm=165,
        weight_kg=70,
        positive_test_date=date(2026, 11, 20),
    )
    r = Report(
        reported_at=datetime.fromisoformat("2026-11-22T08:00:00+07:00"),
        temperature_c=37.5,
        spo2=97,
        pulse=88,
        respiratory_rate=18,
        systolic_bp=150,
        diastolic_bp=90,
        symptoms=frozenset({"cough"}),
    )
    return p, r


def test_assessment_dict_matches_the_api_example(render) -> None:
    d = render(labels.assessment_dict, assess(*_example()), lang="vi")
    assert list(d) == [
        "tier",
        "baseline_tier",
        "alert",
        "warning_signs",
        "reasons",
        "news2",
        "severity",
        "eligible_home_care",
        "rules_version",
    ]
    assert d["tier"] == "red" and d["baseline_tier"] == "red" and d["alert"] is False
    assert d["warning_signs"] == []
    assert d["reasons"][0] == {
        "code": "AGE_65_COMORBID",
        "message": "Từ 65 tuổi (68 tuổi) và có bệnh nền: Đái tháo đường, Tăng huyết áp",
    }
    assert d["news2"] == {"score": 0, "band": "low", "complete": True}
    assert d["severity"] == "mild" and d["eligible_home_care"] is True
    assert d["rules_version"] == "VN-2022.2" == risk.RULES_VERSION
    json.dumps(d)


def test_assessment_dict_alert_and_language(render) -> None:
    a = assess(
        Profile(date_of_birth=date(2021, 1, 1)),
        Report(
            reported_at=datetime.fromisoformat("2026-03-01T08:00:00+07:00"),
            spo2=94,
            symptoms=frozenset({"cyanosis"}),
        ),
    )
    vi, en = (render(labels.assessment_dict, a, lang=lang) for lang in LANGS)
    assert vi["alert"] is True and a.alert is True
    assert [w["code"] for w in vi["warning_signs"]] == ["W3", "W8"]
    assert vi["news2"] is None and vi["severity"] is None
    assert vi["warning_signs"][1]["message"] == "Tím tái: môi, móng tay hoặc móng chân tím, da xanh tái"
    assert en["warning_signs"][1]["message"] == "Cyanosis: blue or grey lips or nails, pale skin"
    assert render(labels.assessment_dict, a, "en", lang="vi") == en


def test_api_language_falls_back_to_vietnamese(client) -> None:
    """The API picks the language from Accept-Language: en-GB is English, French is Vietnamese."""
    body = {
        "profile": {"date_of_birth": "2021-01-01"},
        "report": {"reported_at": "2026-03-01T08:00:00+07:00", "spo2": 94, "symptoms": ["cyanosis"]},
    }
    answers = {
        lang: client.post("/api/v1/assess", json=body, headers={"Accept-Language": lang}).get_json()
        for lang in ("vi", "en", "en-GB", "fr")
    }
    assert answers["en"]["warning_signs"][1]["message"] == "Cyanosis: blue or grey lips or nails, pale skin"
    assert answers["en-GB"] == answers["en"] != answers["vi"]
    assert answers["fr"] == answers["vi"]


# --- pages take their words from the same module ----------------------------------------------


def test_calculator_page_uses_the_one_label_set(client, make_user) -> None:
    """Checkboxes list each ordinary symptom and comorbidity once; reasons read as stored."""
    from .conftest import csrf_token, login

    login(client, make_user("volunteer").phone)
    token = csrf_token(client, "/staff/calculator/")
    response = client.post(
        "/staff/calculator/",
        data={"csrf_token": token, "date_of_birth": "1950-05-05", "sex": "female", "spo2": "93",
              "spo2_recheck": "93", "comorbidities": ["hypertension"], "symptoms": ["cough"]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    ticked = re.findall(r'name="symptoms" value="([a-z_]+)"', page)
    assert ticked == [key for key in risk.SYMPTOMS if key not in risk.WARNING_SYMPTOMS]
    assert re.findall(r'name="comorbidities" value="([a-z_]+)"', page) == list(risk.COMORBIDITIES)
    assert "<span>Tăng huyết áp</span>" in page and "<span>Chảy nước mũi, nghẹt mũi</span>" in page
    assert "SpO2 thấp: SpO2 93% (≤ 96%) (đo lại)" in page
    assert re.search(r"Từ 65 tuổi \(\d+ tuổi\) và có bệnh nền: Tăng huyết áp<", page)


@pytest.mark.parametrize("lang", LANGS)
def test_queue_row_words_in_each_language(render, lang: str) -> None:
    """How long an alert has waited and why it fired, on every alert row of the queue: message
    ids translated the request's way (http.i18n), the same words as Flask-Babel's own."""
    from flask_babel import gettext, ngettext

    from f0monitor.web.staff.queue import waited_text

    def words():
        return [
            waited_text(12), waited_text(125), waited_text(24 * 60), waited_text(6 * 24 * 60 + 5),
            labels.warning_short({"code": "W3", "params": {"value": 92}}),
            labels.warning_short({"code": "W2", "params": {"value": 32}}),
            labels.warning_short({"code": "W1"}), labels.warning_short({"code": "X9"}),
        ]

    def babel_words():
        return [
            gettext("waiting %(m)s min", m=12), gettext("waiting %(h)s h %(m)s", h=2, m="05"),
            ngettext("waiting %(num)s day", "waiting %(num)s days", 1),
            ngettext("waiting %(num)s day", "waiting %(num)s days", 6),
            gettext("low SpO2") + " 92%", gettext("%(label)s %(value)s/min", label=gettext("breathing rate"), value="32"),
            gettext("breathing difficulty"), "X9",
        ]

    got, babel = render(words, lang=lang), render(babel_words, lang=lang)
    assert got == babel
    if lang == "en":
        assert got[:4] == ["waiting 12 min", "waiting 2 h 05", "waiting 1 day", "waiting 6 days"]
        assert got[4:7] == ["low SpO2 92%", "breathing rate 32/min", "breathing difficulty"]
    else:
        assert all(VIETNAMESE.search(w) for w in got[:7]), got
