"""The forgiving SMS reader: real-looking replies from feature phones, read as the form would be.

Each row is a text as people send it and what must be read from it: the vitals (named as in
``domain.vitals``), "no oximeter", the symptoms said and denied, or why it cannot be taken.
"""

from __future__ import annotations

import pytest

from f0monitor.domain import vitals
from f0monitor.domain.covid import vocab
from f0monitor.domain.smsreply import SYMPTOM_PHRASES, VITAL_NAMES, read_sms, tokens

OK = "ok"

# (text, values, symptoms, denied, no_oximeter)
READABLE = [
    ("SPO2 96 NHIET 38,5 MACH 100 KHO THO", {"spo2": 96, "temperature_c": 38.5, "pulse": 100},
     {"shortness_of_breath"}, set(), False),
    ("spo2 97 nhiet 37.2 mach 88", {"spo2": 97, "temperature_c": 37.2, "pulse": 88}, set(), set(), False),
    ("SpO2: 98%, nhiệt độ: 36,8 độ C, mạch: 76", {"spo2": 98, "temperature_c": 36.8, "pulse": 76},
     set(), set(), False),
    ("Nhiệt độ 37,5 SpO2 97 mạch 90", {"temperature_c": 37.5, "spo2": 97, "pulse": 90}, set(), set(), False),
    ("mach 92 spo2 95 nhiet 38", {"pulse": 92, "spo2": 95, "temperature_c": 38.0}, set(), set(), False),
    ("SP02 96", {"spo2": 96}, set(), set(), False),
    ("spo 2 : 97", {"spo2": 97}, set(), set(), False),
    ("Oxy 94 kho tho", {"spo2": 94}, {"shortness_of_breath"}, set(), False),
    ("SPO2=99 T=36.6", {"spo2": 99, "temperature_c": 36.6}, set(), set(), False),
    ("96% 38,2 độ", {"spo2": 96, "temperature_c": 38.2}, set(), set(), False),
    ("nhiet do 39,1 sot cao", {"temperature_c": 39.1}, {"fever"}, set(), False),
    ("sốt 38,5", {"temperature_c": 38.5}, {"fever"}, set(), False),
    ("Sot 38.5 ho dau hong", {"temperature_c": 38.5}, {"fever", "cough", "sore_throat"}, set(), False),
    ("khong co may do, nhiet 37,8, ho", {"temperature_c": 37.8}, {"cough"}, set(), True),
    ("Không có máy đo. Nhiệt độ 38", {"temperature_c": 38.0}, set(), set(), True),
    ("ko co may do nhiet 37 khoe", {"temperature_c": 37.0}, set(), set(), True),
    ("KHONG CO MAY DO", {}, set(), set(), True),
    ("k co may do, sot, met moi", {}, {"fever", "fatigue"}, set(), True),
    ("chua co may do spo2. nhiet do 37.9", {"temperature_c": 37.9}, set(), set(), True),
    ("spo2 95 khong kho tho khong dau nguc", {"spo2": 95}, set(), {"shortness_of_breath", "chest_pain"}, False),
    ("SPO2 97, ko kho tho, ko dau nguc, ho nhe", {"spo2": 97}, {"cough"},
     {"shortness_of_breath", "chest_pain"}, False),
    ("Hết sốt, còn ho có đờm", {}, {"productive_cough"}, {"fever"}, False),
    ("không sốt, không ho, spo2 98", {"spo2": 98}, set(), {"fever", "cough"}, False),
    ("spo2 93 tho gap tuc nguc", {"spo2": 93}, {"shortness_of_breath", "chest_pain"}, set(), False),
    ("SPO2 94, SPO2 95", {"spo2": 94, "spo2_recheck": 95}, set(), set(), False),
    ("spo2 95 do lai 96", {"spo2": 95, "spo2_recheck": 96}, set(), set(), False),
    ("huyet ap 120/80 mach 80", {"systolic_bp": 120, "diastolic_bp": 80, "pulse": 80}, set(), set(), False),
    ("HA 135/85 spo2 97 nhiet 36,9", {"systolic_bp": 135, "diastolic_bp": 85, "spo2": 97,
                                      "temperature_c": 36.9}, set(), set(), False),
    ("130/90 mmHg", {"systolic_bp": 130, "diastolic_bp": 90}, set(), set(), False),
    ("nhip tho 22 spo2 96", {"respiratory_rate": 22, "spo2": 96}, set(), set(), False),
    ("tho 18 lan/phut mach 84", {"respiratory_rate": 18, "pulse": 84}, set(), set(), False),
    ("nhịp tim 110 khó thở nhẹ", {"pulse": 110}, {"shortness_of_breath"}, set(), False),
    ("mach 100 l/p", {"pulse": 100}, set(), set(), False),
    ("moi tim, kho tho", {}, {"cyanosis", "shortness_of_breath"}, set(), False),
    ("Môi tím tái, lơ mơ", {}, {"cyanosis", "altered_consciousness"}, set(), False),
    ("em be li bi kho danh thuc", {}, {"altered_consciousness"}, set(), False),
    ("bà nôn hết, không ăn uống được", {}, {"cannot_drink_or_feed"}, set(), False),
    ("khong uong duoc nuoc", {}, {"cannot_drink_or_feed"}, set(), False),
    ("nghi sot xuat huyet", {}, {"other_acute_illness"}, set(), False),
    ("con bi tay chan mieng", {}, {"other_acute_illness"}, set(), False),
    ("met hon, goi lai cho toi", {}, {"wants_call"}, set(), False),
    ("Xin gọi cho tôi, thấy nặng hơn", {}, {"wants_call"}, set(), False),
    ("ho ra mau", {}, {"hemoptysis"}, set(), False),
    ("đau đầu, sổ mũi, mất vị giác", {}, {"headache", "runny_nose", "loss_of_taste_smell"}, set(), False),
    ("tieu chay, buon non, chan an", {}, {"diarrhea", "nausea_vomiting", "anorexia"}, set(), False),
    ("dau minh may, on lanh, chong mat", {}, {"myalgia", "chills", "dizziness"}, set(), False),
    ("mat do, mat khuu giac", {}, {"red_eyes", "loss_of_taste_smell"}, set(), False),
    ("Khoe", {}, set(), set(), False),
    ("bình thường", {}, set(), set(), False),
    ("Không có triệu chứng gì. SpO2 99", {"spo2": 99}, set(), set(), False),
    ("van on, spo2 98, nhiet 36,5", {"spo2": 98, "temperature_c": 36.5}, set(), set(), False),
    ("sot 3 ngay nay, ho", {}, {"fever", "cough"}, set(), False),
    ("do luc 8h: spo2 97", {"spo2": 97}, set(), set(), False),
    ("16:00 nhiet 37", {"temperature_c": 37.0}, set(), set(), False),
    ("Chào bác sĩ, em đo SpO2 được 96, nhiệt độ 37,6 ạ", {"spo2": 96, "temperature_c": 37.6},
     set(), set(), False),
    ("SPO2 LA 97 MACH LA 80", {"spo2": 97, "pulse": 80}, set(), set(), False),
    ("spo2 96 nhiet 37 mach 90 ho dau hong so mui met", {"spo2": 96, "temperature_c": 37.0, "pulse": 90},
     {"cough", "sore_throat", "runny_nose", "fatigue"}, set(), False),
    ("  spo2    97   ", {"spo2": 97}, set(), set(), False),
    ("nhiet 38.05", {"temperature_c": 38.1}, set(), set(), False),
    ("ko ho, ko sot, ko kho tho. Spo2 98 nhiet 36.7 mach 78",
     {"spo2": 98, "temperature_c": 36.7, "pulse": 78}, set(), {"cough", "fever", "shortness_of_breath"}, False),
    ("kho tho nhung khong dau nguc", {}, {"shortness_of_breath"}, {"chest_pain"}, False),
    ("tim 95 spo2 97", {"pulse": 95, "spo2": 97}, set(), set(), False),
]

# (text, the problems' (field, code))
UNREADABLE = [
    ("97", {("text", "number_without_name")}),
    ("spo2 97 38", {("text", "number_without_name")}),
    ("spo2 45", {("spo2", "out_of_range")}),
    ("spo2 150", {("spo2", "out_of_range")}),
    ("nhiet 385", {("temperature_c", "out_of_range")}),
    ("spo2 96,5", {("spo2", "not_integer")}),
    ("spo2 65", {("spo2", "implausible")}),
    ("mach 200", {("pulse", "implausible")}),
    ("nhiet 42", {("temperature_c", "implausible")}),
    ("HA 80/120", {("diastolic_bp", "diastolic_not_below_systolic")}),
    ("mach 90 mach 100", {("pulse", "given_twice")}),
    ("khong co may do, spo2 96", {("spo2", "spo2_with_no_oximeter")}),
    ("alo", {("text", "nothing_understood")}),
    ("", {("text", "nothing_understood")}),
    ("cam on bac si", {("text", "nothing_understood")}),
    ("khong khoe", {("text", "nothing_understood")}),
    ("???", {("text", "nothing_understood")}),
]

STOPS = ["STOP", "stop", "Hủy", "HUY", "ngung", "Dừng lại", "huy dang ky", "STOP."]


@pytest.mark.parametrize(("text", "values", "symptoms", "denied", "no_oximeter"), READABLE)
def test_readable_replies(text, values, symptoms, denied, no_oximeter):
    reading = read_sms(text)
    assert reading.problems == (), reading.problems
    assert reading.readable
    assert reading.values == values
    assert reading.symptoms == symptoms
    assert reading.denied == denied
    assert reading.no_oximeter is no_oximeter
    assert not reading.stop


@pytest.mark.parametrize(("text", "problems"), UNREADABLE)
def test_unreadable_replies(text, problems):
    reading = read_sms(text)
    assert not reading.readable
    assert {(p.field, p.code) for p in reading.problems} == problems


@pytest.mark.parametrize("text", STOPS)
def test_stop_opts_out(text):
    reading = read_sms(text)
    assert reading.stop and not reading.readable


def test_at_least_sixty_real_replies():
    assert len(READABLE) + len(UNREADABLE) + len(STOPS) >= 60


def test_stop_inside_a_report_is_not_an_opt_out():
    # "dừng" inside a longer text is not taken as STOP (đúng and dừng fold alike).
    reading = read_sms("spo2 97 dung")
    assert not reading.stop and reading.values == {"spo2": 97}


def test_values_are_kept_as_the_spec_keeps_them():
    reading = read_sms("nhiet 37,46 spo2 97 mach 80")
    assert reading.values["temperature_c"] == 37.5  # one decimal, like the form
    assert isinstance(reading.values["spo2"], int) and isinstance(reading.values["pulse"], int)


def test_every_measured_vital_and_every_symptom_can_be_said():
    named = set(VITAL_NAMES) - {"blood_pressure"} | {"systolic_bp", "diastolic_bp"}
    assert {spec.name for spec in vitals.VITALS} <= named
    assert set(vocab.SYMPTOMS) <= set(SYMPTOM_PHRASES)
    assert set(vocab.WARNING_SYMPTOMS) <= set(SYMPTOM_PHRASES)


def test_with_and_without_diacritics_read_alike():
    pairs = [
        ("Khó thở, đau ngực, môi tím", "Kho tho, dau nguc, moi tim"),
        ("Nhiệt độ 38,5 mạch 100", "NHIET DO 38.5 MACH 100"),
        ("Không có máy đo, hết sốt", "khong co may do, het sot"),
    ]
    for accented, plain in pairs:
        assert read_sms(accented) == read_sms(plain)


def test_tokens_fold_and_split():
    assert tokens("SpO2: 96%") == ["spo2", ":", "96", "%"]
    assert tokens("Nhiệt độ 38,5°C") == ["nhiet", "do", "38,5", "°c"]
