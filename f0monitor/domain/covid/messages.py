"""Reason texts in Vietnamese and English (to be rendered through Babel instead)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .vocab import _COMORBIDITY_LABELS, _VI

# --------------------------------------------------------------------------------------------
# Messages (Vietnamese first; decimals with a comma in Vietnamese)
# --------------------------------------------------------------------------------------------


def _fmt(value: object, lang: int) -> str:
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text.replace(".", ",") if lang == _VI else text
    if isinstance(value, tuple):
        return ", ".join(_fmt(v, lang) for v in value)
    return str(value)


def _conditions(keys: object, lang: int) -> str:
    labels = []
    for key in keys if isinstance(keys, tuple) else ():
        if key == "BMI_30":
            labels.append("BMI ≥ 30")
        else:
            labels.append(_COMORBIDITY_LABELS[key][lang])
    return ", ".join(labels)


def _w3(p: dict[str, object], lang: int) -> str:
    head = ("SpO2 thấp", "Low SpO2")[lang]
    tail = (" (đo lại)", " (recheck)")[lang] if p.get("recheck") else ""
    return f"{head}: SpO2 {p['value']}% ({_OPS[p['op']]} {p['limit']}%){tail}"


def _w5(p: dict[str, object], lang: int) -> str:
    parts = []
    if "systolic_bp" in p:
        label = ("tâm thu", "systolic")[lang]
        parts.append(f"{label} {p['systolic_bp']} mmHg (< {p['systolic_limit']})")
    if "diastolic_bp" in p:
        label = ("tâm trương", "diastolic")[lang]
        parts.append(f"{label} {p['diastolic_bp']} mmHg (< {p['diastolic_limit']})")
    return ("Huyết áp thấp: ", "Low blood pressure: ")[lang] + ", ".join(parts)


def _w11(p: dict[str, object], lang: int) -> str:
    texts = {
        "patient": (
            "người bệnh thấy mệt hơn và muốn được gọi lại",
            "the patient feels worse and wants a call",
        ),
        "staff": (
            "nhân viên y tế đánh giá cần xử trí ngay",
            "a staff member judged that the patient needs attention",
        ),
    }
    by = p.get("by", ())
    parts = [texts[b][lang] for b in by if isinstance(by, tuple) and b in texts]
    text = "; ".join(parts)
    return ("Cần hỗ trợ: ", "Needs help: ")[lang] + text


def _c2(p: dict[str, object], lang: int) -> str:
    temp = _fmt(p["temperature_c"], lang)
    if "fever_hours" in p:
        fever = _fmt(p["fever_limit"], lang)
        if lang == _VI:
            return f"Sốt ≥ {fever} °C kéo dài {p['fever_hours']} giờ (hiện {temp} °C)"
        return f"Fever ≥ {fever} °C for {p['fever_hours']} hours (now {temp} °C)"
    limit = _fmt(p["limit"], lang)
    if lang == _VI:
        return f"Sốt cao {temp} °C (> {limit} °C) ở trẻ em"
    return f"High fever {temp} °C (> {limit} °C) in a child"


_PARAM_LABELS = {
    "respiratory_rate": ("nhịp thở {} lần/phút", "respiratory rate {}/min"),
    "spo2": ("SpO2 {}%", "SpO2 {}%"),
    "systolic_bp": ("huyết áp tâm thu {} mmHg", "systolic BP {} mmHg"),
    "pulse": ("mạch {} lần/phút", "pulse {}/min"),
    "consciousness": ("lú lẫn mới xuất hiện", "new confusion"),
    "temperature_c": ("nhiệt độ {} °C", "temperature {} °C"),
}


def _news2_total(code: str) -> Callable[[dict[str, object], int], str]:
    label = {
        "NEWS2_HIGH": ("≥ 7: nguy cơ cao", "≥ 7: high risk"),
        "NEWS2_MEDIUM": ("5–6: nguy cơ trung bình", "5–6: medium risk"),
    }[code]

    def text(p: dict[str, object], lang: int) -> str:
        if p.get("complete", True):
            return f"NEWS2 = {p['score']} ({label[lang]})"
        if lang == _VI:
            return f"NEWS2 ít nhất {p['score']} ({label[lang]}; còn chỉ số chưa đo)"
        return f"NEWS2 at least {p['score']} ({label[lang]}; some values not measured)"

    return text


def _news2_single(p: dict[str, object], lang: int) -> str:
    name = str(p.get("parameter"))
    label = _PARAM_LABELS.get(name, (name + " {}", name + " {}"))[lang]
    value = p.get("value")
    shown = label.format(_fmt(value, lang)) if value is not None else label.format("").strip()
    return ("NEWS2: {} được 3 điểm", "NEWS2: {} scores 3")[lang].format(shown)


def _elig_warning(p: dict[str, object], lang: int) -> str:
    codes = _fmt(p.get("codes", ()), lang)
    if lang == _VI:
        return f"Có dấu hiệu cảnh báo ({codes}): cần đánh giá điều trị tại cơ sở y tế"
    return f"Warning signs ({codes}): needs assessment for facility care"


_SEVERITY_LABELS = {
    "asymptomatic": ("không triệu chứng", "asymptomatic"),
    "mild": ("nhẹ", "mild"),
    "moderate": ("trung bình", "moderate"),
    "severe": ("nặng", "severe"),
}


def _elig_severity(p: dict[str, object], lang: int) -> str:
    sev = _SEVERITY_LABELS.get(str(p.get("severity")), ("?", "?"))[lang]
    if lang == _VI:
        return f"Mức độ bệnh {sev}: chỉ người không triệu chứng hoặc nhẹ được điều trị tại nhà"
    return f"Severity {sev}: only asymptomatic or mild patients may be treated at home"


def _template(vi: str, en: str) -> tuple[Callable[[dict[str, object], int], str], ...]:
    def make(tmpl: str) -> Callable[[dict[str, object], int], str]:
        def text(p: dict[str, object], lang: int) -> str:
            return tmpl.format(
                age=p.get("age"),
                conditions=_conditions(p.get("conditions", ()), lang),
                bmi=_fmt(p.get("bmi"), lang),
                months=p.get("months"),
            )

        return text

    return make(vi), make(en)


_OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}

_MESSAGES: dict[str, tuple[Any, Any]] = {
    "W1": (
        "Khó thở, thở hụt hơi hoặc thở bất thường",
        "Shortness of breath or abnormal breathing",
    ),
    "W2": (
        "Thở nhanh: nhịp thở {value} lần/phút (≥ {limit} lần/phút theo tuổi)",
        "Fast breathing: respiratory rate {value}/min (≥ {limit}/min for age)",
    ),
    "W3": (_w3, _w3),
    "W4": (
        lambda p, i: f"Mạch bất thường: {p['value']} lần/phút ({_OPS[p['op']]} {p['limit']})",
        lambda p, i: f"Abnormal pulse: {p['value']}/min ({_OPS[p['op']]} {p['limit']})",
    ),
    "W5": (_w5, _w5),
    "W6": ("Đau hoặc tức ngực", "Chest pain or tightness"),
    "W7": (
        "Thay đổi ý thức: lú lẫn, lơ mơ, li bì khó đánh thức hoặc co giật",
        "Altered consciousness: confusion, drowsiness, hard to wake or convulsions",
    ),
    "W8": (
        "Tím tái: môi, móng tay hoặc móng chân tím, da xanh tái",
        "Cyanosis: blue or grey lips or nails, pale skin",
    ),
    "W9": (
        "Không uống hoặc không bú/ăn được, nôn tất cả mọi thứ",
        "Cannot drink or feed, or vomits everything",
    ),
    "W10": (
        "Mắc bệnh cấp tính khác (sốt xuất huyết, tay chân miệng…)",
        "Another acute illness (dengue, hand-foot-mouth disease…)",
    ),
    "W11": (_w11, _w11),
    "C2": (_c2, _c2),
    "NEWS2_HIGH": (_news2_total("NEWS2_HIGH"), _news2_total("NEWS2_HIGH")),
    "NEWS2_MEDIUM": (_news2_total("NEWS2_MEDIUM"), _news2_total("NEWS2_MEDIUM")),
    "NEWS2_SINGLE_3": (_news2_single, _news2_single),
    "AGE_65_COMORBID": _template(
        "Từ 65 tuổi ({age} tuổi) và có bệnh nền: {conditions}",
        "Aged 65 or over ({age}) with an underlying condition: {conditions}",
    ),
    "AGE_65_UNVACCINATED": _template(
        "Từ 65 tuổi ({age} tuổi), chưa tiêm đủ liều vắc xin cơ bản",
        "Aged 65 or over ({age}), not fully vaccinated",
    ),
    "AGE_65_VACCINATED": _template(
        "Từ 65 tuổi ({age} tuổi), đã tiêm đủ liều vắc xin, không có bệnh nền",
        "Aged 65 or over ({age}), fully vaccinated, no underlying condition",
    ),
    "COMORBIDITY": _template(
        "Có bệnh nền: {conditions}",
        "Underlying condition: {conditions}",
    ),
    "BMI_30": _template(
        "Béo phì: BMI {bmi} (≥ 30), tính là bệnh nền",
        "Obesity: BMI {bmi} (≥ 30), counts as an underlying condition",
    ),
    "AGE_50_64_UNVACCINATED": _template(
        "Từ 50 đến 64 tuổi ({age} tuổi), chưa tiêm đủ liều vắc xin cơ bản",
        "Aged 50–64 ({age}), not fully vaccinated",
    ),
    "PREGNANT": ("Đang mang thai", "Pregnant"),
    "POSTPARTUM": ("Mới sinh con trong vòng 42 ngày", "Gave birth in the last 42 days"),
    "INFANT_UNDER_3_MONTHS": _template(
        "Trẻ dưới 3 tháng tuổi ({months} tháng)",
        "Infant under 3 months ({months} months)",
    ),
    "AGE_50_64_VACCINATED": _template(
        "Từ 50 đến 64 tuổi ({age} tuổi), đã tiêm đủ liều vắc xin, không có bệnh nền",
        "Aged 50–64 ({age}), fully vaccinated, no underlying condition",
    ),
    "UNVACCINATED": (
        "Từ 3 tháng đến 49 tuổi, chưa tiêm đủ liều vắc xin cơ bản",
        "Aged 3 months to 49 years, not fully vaccinated",
    ),
    "BMI_25": _template(
        "Thừa cân: BMI {bmi} (25–29,9)",
        "Overweight: BMI {bmi} (25–29.9)",
    ),
    "LOW_RISK": (
        "Nguy cơ thấp: từ 3 tháng đến 49 tuổi, đã tiêm đủ liều vắc xin, không có bệnh nền, "
        "không mang thai",
        "Low risk: aged 3 months to 49 years, fully vaccinated, no underlying condition, "
        "not pregnant",
    ),
    "ELIG_WARNING_SIGNS": (_elig_warning, _elig_warning),
    "ELIG_SEVERITY": (_elig_severity, _elig_severity),
    "ELIG_COMORBIDITY": _template(
        "Bệnh nền chưa được điều trị ổn định: {conditions}",
        "Underlying condition not under stable treatment: {conditions}",
    ),
    "RECOVERY_BEFORE_DAY_7": (
        "Mới đến ngày điều trị thứ {day}: sớm nhất từ ngày {with_test_day} nếu xét nghiệm "
        "nhanh kháng nguyên âm tính, hoặc từ ngày {without_test_day}",
        "Treatment day {day}: at the earliest from day {with_test_day} with a negative rapid "
        "antigen test, otherwise from day {without_test_day}",
    ),
    "RECOVERY_NEEDS_NEGATIVE_TEST": (
        "Ngày điều trị thứ {day}: cần xét nghiệm nhanh kháng nguyên âm tính do nhân viên y tế "
        "thực hiện hoặc giám sát, hoặc chờ đến ngày {without_test_day}",
        "Treatment day {day}: needs a negative rapid antigen test done or supervised by a "
        "health worker, or wait until day {without_test_day}",
    ),
}


_CHART_LABELS = {
    "fever": ("sốt", "fever"),
    "W2": ("thở nhanh", "fast breathing"),
    "W3": ("SpO2 thấp", "low SpO2"),
    "W4_low": ("mạch chậm", "slow pulse"),
    "W4_high": ("mạch nhanh", "fast pulse"),
    "C2": ("sốt cao", "high fever"),
}
