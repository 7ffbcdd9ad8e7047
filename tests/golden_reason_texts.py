"""Write tests/data/reason_texts.json: every reason code and chart line, rendered in vi and en.

The golden file pins the texts people see for stored reasons (rows ``{code, params}`` in the
database) and for the chart warning lines. It was written once (commit 25df5d7) by the domain's
own text tables (``Reason.message(lang)``, ``chart_thresholds(..., lang)``), before the texts
moved to Flask-Babel; ``tests/test_labels.py`` renders the same inputs through
``f0monitor.http.labels`` and compares them with the file, exactly.

This script now renders through ``http/labels.py``: rerunning it must leave the file unchanged
(``git diff`` shows nothing). To pin a new code or case, add it to CASES, rerun, and review
the new lines by hand: they were not written by the old code.

Run from the worktree root (after ``pybabel compile``):  python -m tests.golden_reason_texts
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import force_locale

from f0monitor.domain import covid as risk
from f0monitor.domain.covid import Reason

PATH = Path(__file__).parent / "data" / "reason_texts.json"

_NEWS2_VALUES: dict[str, object] = {
    "respiratory_rate": 26,
    "spo2": 90,
    "systolic_bp": 88,
    "pulse": 135,
    "temperature_c": 35.0,
    "consciousness": None,  # the rules give no value for new confusion
}

# One or more reasons per code, with the params the rules give them (tuples, as the rules
# build them; the file stores them as JSON, as the database does).
CASES: list[Reason] = [
    Reason("W1"),
    Reason("W2", (("value", 45), ("limit", 40))),
    Reason("W2", (("value", 22), ("limit", 20))),
    Reason("W2", (("value", 8), ("op", "<="), ("limit", 8))),
    Reason("W3", (("value", 94), ("op", "<="), ("limit", 96), ("recheck", False))),
    Reason("W3", (("value", 94), ("op", "<="), ("limit", 96), ("recheck", True))),
    Reason("W3", (("value", 95), ("op", "<"), ("limit", 96), ("recheck", False))),
    Reason("W3", (("value", 95), ("op", "<"), ("limit", 96))),
    Reason("W4", (("value", 130), ("op", ">"), ("limit", 120))),
    Reason("W4", (("value", 45), ("op", "<"), ("limit", 50))),
    Reason("W5", (("systolic_bp", 85), ("systolic_limit", 90))),
    Reason("W5", (("diastolic_bp", 55), ("diastolic_limit", 60))),
    Reason(
        "W5",
        (("systolic_bp", 85), ("systolic_limit", 90), ("diastolic_bp", 55), ("diastolic_limit", 60)),
    ),
    *(Reason(f"W{i}") for i in range(6, 11)),
    Reason("W11", (("by", ("patient",)),)),
    Reason("W11", (("by", ("staff",)),)),
    Reason("W11", (("by", ("patient", "staff")),)),
    Reason("C2", (("temperature_c", 39.4), ("limit", 39.0))),
    Reason("C2", (("temperature_c", 39.5), ("limit", 39.0))),
    Reason("C2", (("temperature_c", 38.5), ("limit", 39.0), ("fever_hours", 50), ("fever_limit", 38.0))),
    Reason("C2", (("temperature_c", 39.6), ("limit", 39.0), ("fever_hours", 48), ("fever_limit", 38.0))),
    Reason(
        "W12",
        (
            ("score", 8),
            ("complete", True),
            ("limit", 7),
            ("parts", (("respiratory_rate", 2), ("spo2", 1), ("pulse", 3), ("temperature_c", 2))),
        ),
    ),
    Reason(
        "W12",
        (
            ("score", 7),
            ("complete", False),
            ("limit", 7),
            ("parts", (("systolic_bp", 3), ("consciousness", 3), ("temperature_c", 1))),
        ),
    ),
    Reason("NEWS2_HIGH", (("score", 8), ("complete", True))),
    Reason("NEWS2_HIGH", (("score", 7), ("complete", False))),
    Reason("NEWS2_MEDIUM", (("score", 5), ("complete", True))),
    Reason("NEWS2_MEDIUM", (("score", 6), ("complete", False))),
    *(
        Reason("NEWS2_SINGLE_3", (("parameter", name), ("value", value), ("points", 3)))
        for name, value in _NEWS2_VALUES.items()
    ),
    Reason("NEWS2_SINGLE_3", (("parameter", "temperature_c"), ("value", 39.2), ("points", 3))),
    Reason("NEWS2_SINGLE_3", (("parameter", "respiratory_rate"), ("value", None), ("points", 3))),
    Reason("NEWS2_SINGLE_3", (("parameter", "spo2"), ("value", None), ("points", 3))),
    Reason("AGE_65_COMORBID", (("age", 70), ("conditions", ("diabetes",)))),
    Reason("AGE_65_COMORBID", (("age", 68), ("conditions", ("diabetes", "hypertension", "BMI_30")))),
    Reason("AGE_65_COMORBID", (("age", 81), ("conditions", ("BMI_30",)))),
    Reason("AGE_65_UNVACCINATED", (("age", 70),)),
    Reason("AGE_65_VACCINATED", (("age", 70),)),
    Reason("COMORBIDITY", (("conditions", ("asthma", "hiv")),)),
    Reason("COMORBIDITY", (("conditions", tuple(risk.COMORBIDITIES)),)),
    Reason("BMI_30", (("bmi", 31.2),)),
    Reason("BMI_30", (("bmi", 30.0),)),
    Reason("BMI_30", (("bmi", 30.5),)),
    Reason("AGE_50_64_UNVACCINATED", (("age", 55),)),
    Reason("PREGNANT"),
    Reason("POSTPARTUM"),
    Reason("INFANT_UNDER_3_MONTHS", (("months", 1),)),
    Reason("INFANT_UNDER_3_MONTHS", (("months", 0),)),
    Reason("AGE_50_64_VACCINATED", (("age", 55),)),
    Reason("UNVACCINATED"),
    Reason("BMI_25", (("bmi", 26.0),)),
    Reason("BMI_25", (("bmi", 29.9),)),
    Reason("LOW_RISK"),
    Reason("ELIG_WARNING_SIGNS", (("codes", ("W1", "W3")),)),
    Reason("ELIG_WARNING_SIGNS", (("codes", ("W2",)),)),
    Reason("ELIG_WARNING_SIGNS", (("codes", ("C2", "NEWS2_HIGH", "W11")),)),
    Reason("ELIG_SEVERITY", (("severity", "severe"),)),
    Reason("ELIG_SEVERITY", (("severity", "moderate"),)),
    Reason("ELIG_SEVERITY", (("severity", "mild"),)),
    Reason("ELIG_SEVERITY", (("severity", "asymptomatic"),)),
    Reason("ELIG_SEVERITY", (("severity", None),)),
    Reason("ELIG_SEVERITY", (("severity", "unknown"),)),
    Reason("ELIG_COMORBIDITY", (("conditions", ("diabetes", "BMI_30")),)),
    Reason("ELIG_COMORBIDITY", (("conditions", ("BMI_30",)),)),
    Reason("ELIG_COMORBIDITY", (("conditions", ("cancer", "prematurity", "other")),)),
    Reason("RECOVERY_BEFORE_DAY_7", (("day", 3), ("with_test_day", 7), ("without_test_day", 14))),
    Reason("RECOVERY_BEFORE_DAY_7", (("day", 1), ("with_test_day", 7), ("without_test_day", 10))),
    Reason(
        "RECOVERY_NEEDS_NEGATIVE_TEST", (("day", 8), ("with_test_day", 7), ("without_test_day", 10))
    ),
    Reason(
        "RECOVERY_NEEDS_NEGATIVE_TEST", (("day", 12), ("with_test_day", 7), ("without_test_day", 14))
    ),
    Reason("X9"),  # an unknown code shows as itself
]

# (name, date of birth, chart day): the age bands of W2, W3, W4 and C2.
CHART_PROFILES = [
    ("adult", date(1980, 1, 1), date(2026, 1, 1)),
    ("child", date(2022, 1, 1), date(2026, 1, 1)),
    ("teenager", date(2012, 6, 1), date(2026, 1, 1)),
    ("infant", date(2025, 11, 1), date(2026, 1, 1)),
]


def _jsonable(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def row(reason: Reason) -> dict[str, Any]:
    """Return a reason as the database stores it."""
    return {"code": reason.code, "params": {k: _jsonable(v) for k, v in reason.params}}


def render(reason: Reason, lang: str) -> str:
    """Render a reason as a stored row, in a language (inside a request of the app)."""
    from f0monitor.http.labels import render_reasons

    with force_locale(lang):
        return render_reasons([row(reason)])[0]["message"]


def chart(dob: date, on: date, lang: str) -> dict[str, list[list[object]]]:
    from f0monitor.http.labels import chart_lines

    with force_locale(lang):
        lines = chart_lines(risk.chart_thresholds(risk.Profile(date_of_birth=dob), on))
    return {name: [list(line) for line in group] for name, group in lines.items()}


def build() -> dict[str, Any]:
    from f0monitor import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "golden", "DATABASE_URL": "sqlite://"},
            instance_path=instance,
        )
        with app.test_request_context("/"):
            return _build()


def _build() -> dict[str, Any]:
    return {
        "reasons": [
            {**row(r), "vi": render(r, "vi"), "en": render(r, "en")} for r in CASES
        ],
        "charts": [
            {
                "name": name,
                "date_of_birth": dob.isoformat(),
                "on": on.isoformat(),
                "vi": chart(dob, on, "vi"),
                "en": chart(dob, on, "en"),
            }
            for name, dob, on in CHART_PROFILES
        ],
    }


if __name__ == "__main__":
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {PATH}")
